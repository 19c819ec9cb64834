/**
 * The shared Graph budget on a real Redis: an exact sliding window per tenant and kind (Intune counts writes against
 * both the write and the request limits, learn.microsoft.com/graph/throttling-limits), shared by every process, and
 * a tenant pause every process honours. Time is an injected clock, moved by the tests.
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
  const limits: BudgetLimits = { windowMs: 20_000, writes: 3, reads: 5 };

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

  it('admits the limit in one window, makes the next wait until the oldest call slides out, then admits again', async () => {
    const t = nextTenant();
    const start = now;
    for (let i = 0; i < limits.reads; i += 1) {
      expect(await budget.acquire(t, 'read')).toEqual({ ok: true });
      now += 1_000;
    }
    // The first call was at `start`: it leaves the window at start + 20 s.
    expect(await budget.acquire(t, 'read')).toEqual({ ok: false, why: 'budget', waitMs: start + limits.windowMs - now });
    now = start + limits.windowMs - 1;
    expect(await budget.acquire(t, 'read')).toEqual({ ok: false, why: 'budget', waitMs: 1 });
    now = start + limits.windowMs;
    expect(await budget.acquire(t, 'read')).toEqual({ ok: true });
    // The next one waits for the second call (start + 1 s) to leave.
    expect(await budget.acquire(t, 'read')).toEqual({ ok: false, why: 'budget', waitMs: 1_000 });
    expect(await budget.usage(t)).toEqual({ reads: 5, writes: 0, limits });
  });

  it('keeps separate write and read budgets, and counts a write as a request too', async () => {
    const t = nextTenant();
    for (let i = 0; i < limits.writes; i += 1) expect(await budget.acquire(t, 'write')).toEqual({ ok: true });
    expect(await budget.acquire(t, 'write')).toEqual({ ok: false, why: 'budget', waitMs: limits.windowMs });
    expect(await budget.usage(t)).toEqual({ writes: 3, reads: 3, limits });
    // Reads still have room (5 - 3 writes), then run out.
    expect(await budget.acquire(t, 'read')).toEqual({ ok: true });
    expect(await budget.acquire(t, 'read')).toEqual({ ok: true });
    expect(await budget.acquire(t, 'read')).toEqual({ ok: false, why: 'budget', waitMs: limits.windowMs });
    expect(await budget.usage(t)).toEqual({ writes: 3, reads: 5, limits });
  });

  it('refuses a write when the request budget is full even though the write budget has room, and counts nothing refused', async () => {
    const t = nextTenant();
    for (let i = 0; i < limits.reads; i += 1) expect(await budget.acquire(t, 'read')).toEqual({ ok: true });
    expect(await budget.acquire(t, 'write')).toEqual({ ok: false, why: 'budget', waitMs: limits.windowMs });
    expect(await budget.usage(t)).toEqual({ writes: 0, reads: 5, limits });
  });

  it('keeps tenants apart', async () => {
    const [a, b] = [nextTenant(), nextTenant()];
    for (let i = 0; i < limits.writes; i += 1) await budget.acquire(a, 'write');
    expect(await budget.acquire(a, 'write')).toMatchObject({ ok: false });
    expect(await budget.acquire(b, 'write')).toEqual({ ok: true });
  });

  it('is one budget for two processes: calls admitted by one count against the other', async () => {
    const t = nextTenant();
    const other = new GraphBudget(await connect(), prefix, limits, clock);
    const decisions = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? budget : other).acquire(t, 'read')));
    expect(decisions.filter((d) => d.ok)).toHaveLength(limits.reads);
    expect(decisions.filter((d) => !d.ok)).toHaveLength(3);
    expect(await other.usage(t)).toEqual({ reads: 5, writes: 0, limits });
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
    await budget.acquire(t, 'write');
    await budget.pause(t, 1_000);
    const r = redis[0]!;
    const keys = (await r.keys(`${prefix}:*`)).filter((k) => k.includes(`:${t}`)).sort();
    expect(keys).toEqual([`${prefix}:graph:budget:${t}:read`, `${prefix}:graph:budget:${t}:write`, `${prefix}:graph:pause:${t}`]);
    for (const key of keys) expect(await r.pttl(key)).toBeGreaterThan(0);
  });

  it('refuses limits that are not positive integers', () => {
    const r = redis[0]!;
    expect(() => new GraphBudget(r, prefix, { windowMs: 20_000, writes: 0, reads: 10 })).toThrow(RangeError);
    expect(() => new GraphBudget(r, prefix, { windowMs: 1.5, writes: 1, reads: 10 })).toThrow(RangeError);
  });
});
