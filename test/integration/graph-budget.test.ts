/**
 * The shared Graph budget on a real Redis: a paced schedule per tenant and kind with reserved slots (Intune counts
 * writes against both the write and the request limits, learn.microsoft.com/graph/throttling-limits), shared by every
 * process, and a tenant pause every process honours. Time is an injected clock, moved by the tests.
 */
import type { Redis } from 'ioredis';
import { DEFAULT_BUDGET_LIMITS, GraphBudget, type BudgetLimits } from '../../src/graph/budget';
import { createRedis, waitForReady } from '../../src/redis/connection';
import { testRedisUrl, uniquePrefix } from '../support/env';

describe('GraphBudget (Redis, shared by every worker process)', () => {
  const redis: Redis[] = [];
  let prefix: string;
  let now: number;
  const clock = (): number => now;
  // Writes: one every 5 s. Each write's admission covers one read too (ADR 017), so other reads get the rest of the
  // request budget less two per write (18 − 2 × 4 = 10): one every 2 s. Tolerance: 1 s.
  const limits: BudgetLimits = { windowMs: 20_000, writes: 4, reads: 18 };

  const connect = async (): Promise<Redis> => {
    const r = createRedis(testRedisUrl(), 'worker', { name: 'graph-budget-test' });
    await waitForReady(r, 5000);
    redis.push(r);
    return r;
  };
  let budget: GraphBudget;
  let tenant = 0;
  const nextTenant = (): string => `tenant-${(tenant += 1).toString()}`;

  beforeAll(async () => {
    prefix = uniquePrefix('graph-budget');
    budget = new GraphBudget(await connect(), prefix, limits, clock);
  });
  beforeEach(() => {
    now = Date.parse('2026-03-02T09:00:00Z');
  });
  afterAll(async () => {
    const first = redis[0];
    if (first !== undefined) {
      const keys = await first.keys(`${prefix}:*`);
      if (keys.length > 0) await first.del(...keys);
    }
    await Promise.all(redis.map((r) => r.quit()));
  });

  it('defaults to the documented Intune limits less a margin', () => {
    expect(DEFAULT_BUDGET_LIMITS).toEqual({ windowMs: 20_000, writes: 180, reads: 1_800 });
  });

  it('paces reads one interval apart (window / limit), letting them run at most the tolerance ahead', async () => {
    const t = nextTenant();
    expect(await budget.acquire(t, 'read')).toEqual({ ok: true });
    expect(await budget.acquire(t, 'read')).toEqual({ ok: false, why: 'budget', waitMs: 1_000 });
    now += 999;
    expect(await budget.acquire(t, 'read')).toEqual({ ok: false, why: 'budget', waitMs: 1 });
    now += 1;
    expect(await budget.acquire(t, 'read')).toEqual({ ok: true });
    // Refused calls without a holder book nothing: the next slot is the same.
    expect(await budget.acquire(t, 'read')).toEqual({ ok: false, why: 'budget', waitMs: 2_000 });
    expect(await budget.acquire(t, 'read')).toEqual({ ok: false, why: 'budget', waitMs: 2_000 });
    expect(await budget.usage(t)).toEqual({ reads: 2, writes: 0, limits });
  });

  it('never admits more than the limits (plus one per lane) in any window, however hard it is asked', async () => {
    const t = nextTenant();
    const admitted: { at: number; kind: string }[] = [];
    const start = now;
    for (; now < start + 3 * limits.windowMs; now += 50) {
      for (const kind of ['write', 'read', 'read'] as const) if ((await budget.acquire(t, kind)).ok) admitted.push({ at: now, kind });
    }
    const worst = (kind?: string): number => {
      const times = admitted.filter((a) => kind === undefined || a.kind === kind).map((a) => a.at);
      return Math.max(...times.map((from) => times.filter((at) => at >= from && at < from + limits.windowMs).length));
    };
    expect(worst('write')).toBeLessThanOrEqual(limits.writes + 1);
    // Graph's request count: every read, and every write with the read its admission covers.
    expect(worst('read') + 2 * worst('write')).toBeLessThanOrEqual(limits.reads + 3);
    // And it does not waste the budget: about three windows' worth went through.
    const requests = admitted.length + admitted.filter((a) => a.kind === 'write').length;
    expect(requests).toBeGreaterThanOrEqual(3 * limits.reads - 2);
  });

  it('reserves the next free slot for a holder that must wait, and admits it when it comes back', async () => {
    const t = nextTenant();
    // 4 writes per 20 s: one every 5 s, never ahead of schedule.
    const first = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((h) => budget.acquire(t, 'write', `reset:${h}`)));
    expect(first).toEqual([
      { ok: true },
      { ok: false, why: 'budget', waitMs: 5_000 },
      { ok: false, why: 'budget', waitMs: 10_000 },
      { ok: false, why: 'budget', waitMs: 15_000 },
      { ok: false, why: 'budget', waitMs: 20_000 },
    ]);
    // Asking again early keeps the same slot and books nothing more.
    now += 4_000;
    expect(await budget.acquire(t, 'write', 'reset:b')).toEqual({ ok: false, why: 'budget', waitMs: 1_000 });
    expect(await budget.acquire(t, 'write', 'reset:f')).toEqual({ ok: false, why: 'budget', waitMs: 21_000 });
    now += 1_000;
    expect(await budget.acquire(t, 'write', 'reset:b')).toEqual({ ok: true });
    // A slot is taken once.
    expect(await budget.acquire(t, 'write', 'reset:b')).toEqual({ ok: false, why: 'budget', waitMs: 25_000 });
    // Each write counts as two requests: itself and the read its admission covers.
    expect(await budget.usage(t)).toMatchObject({ writes: 2, reads: 4 });
  });

  it('drops a reserved slot taken too late, and books a new one at the end of the line', async () => {
    const t = nextTenant();
    expect(await budget.acquire(t, 'write', 'reset:a')).toEqual({ ok: true });
    expect(await budget.acquire(t, 'write', 'reset:b')).toEqual({ ok: false, why: 'budget', waitMs: 5_000 });
    expect(await budget.acquire(t, 'write', 'reset:c')).toEqual({ ok: false, why: 'budget', waitMs: 10_000 });
    // b comes back 1.5 s late (the tolerance is 1 s): its slot has gone by; the next free one is after c's.
    now += 6_500;
    expect(await budget.acquire(t, 'write', 'reset:b')).toEqual({ ok: false, why: 'budget', waitMs: 8_500 });
    // c, on time within the tolerance, is admitted.
    now += 4_000;
    expect(await budget.acquire(t, 'write', 'reset:c')).toEqual({ ok: true });
  });

  it('gives writes their own lane of the request budget, so a POST never queues behind reads', async () => {
    const t = nextTenant();
    expect(await budget.acquire(t, 'write')).toEqual({ ok: true });
    expect(await budget.acquire(t, 'read')).toEqual({ ok: true });
    // A write counts as two requests: itself and the read its admission covers (ADR 017).
    expect(await budget.usage(t)).toEqual({ writes: 1, reads: 3, limits });
    // Reads booked far ahead do not hold a write back, and writes booked far ahead do not hold reads back.
    const u = nextTenant();
    for (const h of ['1', '2', '3', '4']) await budget.acquire(u, 'read', `device:${h}`);
    expect(await budget.acquire(u, 'write', 'reset:x')).toEqual({ ok: true });
    for (const h of ['y', 'z']) await budget.acquire(u, 'write', `reset:${h}`);
    // Four reads booked at 0, 1, 3 and 5 s: the fifth runs at 7 s, as if no write had been booked.
    expect(await budget.acquire(u, 'read', 'device:5')).toEqual({ ok: false, why: 'budget', waitMs: 7_000 });
  });

  it('keeps tenants apart', async () => {
    const [a, b] = [nextTenant(), nextTenant()];
    for (let i = 0; i < limits.writes; i += 1) await budget.acquire(a, 'write');
    expect(await budget.acquire(a, 'write')).toMatchObject({ ok: false });
    expect(await budget.acquire(b, 'write')).toEqual({ ok: true });
  });

  it('is one budget for two processes: their calls share one schedule, each slot given once', async () => {
    const t = nextTenant();
    const other = new GraphBudget(await connect(), prefix, limits, clock);
    const decisions = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? budget : other).acquire(t, 'read', `device:${i.toString()}`)));
    const waits = decisions.map((d) => (d.ok ? 0 : d.waitMs)).sort((a, b) => a - b);
    expect(waits).toEqual([0, 1_000, 3_000, 5_000, 7_000, 9_000, 11_000, 13_000]);
    expect(await other.usage(t)).toEqual({ reads: 1, writes: 0, limits });
  });

  it('pauses a tenant in every process: the other instance waits out the pause, which never shrinks', async () => {
    const t = nextTenant();
    const other = new GraphBudget(await connect(), prefix, limits, clock);
    await budget.pause(t, 30_000);
    expect(await other.pausedForMs(t)).toBe(30_000);
    expect(await other.acquire(t, 'read')).toEqual({ ok: false, why: 'paused', waitMs: 30_000 });
    expect(await other.acquire(t, 'write')).toEqual({ ok: false, why: 'paused', waitMs: 30_000 });
    await other.pause(t, 5_000);
    now += 10_000;
    expect(await budget.pausedForMs(t)).toBe(20_000);
    now += 20_000;
    expect(await budget.pausedForMs(t)).toBe(0);
    expect(await other.acquire(t, 'read')).toEqual({ ok: true });
    expect(await budget.usage(t)).toMatchObject({ reads: 1 });
  });

  it('keeps every key under the configured prefix, with an expiry', async () => {
    const t = 'tenant-keys';
    await budget.acquire(t, 'read');
    await budget.acquire(t, 'write');
    await budget.acquire(t, 'write', 'reset:held');
    await budget.pause(t, 1_000);
    const r = redis[0]!;
    const keys = (await r.keys(`${prefix}:*`)).filter((k) => k.includes(`:${t}`)).sort();
    const budgetKeys = ['read', 'read:tat', 'write', 'write:tat'].map((k) => `${prefix}:graph:budget:${t}:${k}`);
    expect(keys).toEqual([...budgetKeys.slice(0, 2), expect.stringMatching(new RegExp(`^\\{t-graphbudget-[0-9a-f]+\\}:graph:budget:${t}:slot:[0-9a-f]{32}$`)), ...budgetKeys.slice(2), `${prefix}:graph:pause:${t}`]);
    for (const key of keys) expect(await r.pttl(key)).toBeGreaterThan(0);
  });

  it('refuses limits that are not positive integers', () => {
    const r = redis[0]!;
    expect(() => new GraphBudget(r, prefix, { windowMs: 20_000, writes: 0, reads: 10 })).toThrow(RangeError);
    expect(() => new GraphBudget(r, prefix, { windowMs: 1.5, writes: 1, reads: 10 })).toThrow(RangeError);
    expect(() => new GraphBudget(r, prefix, { windowMs: 20_000, writes: 10, reads: 10 })).toThrow(/must be more than twice the write budget/);
    // Each write and the read it covers are two requests: the read lane needs at least one more.
    expect(() => new GraphBudget(r, prefix, { windowMs: 20_000, writes: 10, reads: 20 })).toThrow(/must be more than twice the write budget/);
    expect(() => new GraphBudget(r, prefix, { windowMs: 20_000, writes: 10, reads: 21 })).not.toThrow();
  });
});
