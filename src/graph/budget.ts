/**
 * The Graph budget: one per tenant, shared by every worker process through Redis, so all of them together stay under
 * the Intune limits (learn.microsoft.com/graph/throttling-limits, DOMAIN.md §2) instead of each finding them by 429s.
 *
 * - An exact sliding window per tenant and kind: a ZSET of admission times (score = ms), trimmed and counted by one
 *   Lua script, so check-and-count is atomic across processes. A refused call is not counted.
 * - A write also counts as a request (Graph counts POSTs against both the write and the request limits).
 * - A tenant pause: a 429's Retry-After sets `${prefix}:graph:pause:${tenantId}` (value = paused-until ms, PX = the
 *   wait), and every process's `acquire` honours it. A pause only ever grows.
 * All keys sit under the configured hash-tag prefix, so the multi-key script is valid on Redis Cluster.
 * Time comes from the injected `now` (tests move it; production passes Date.now).
 */
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';

export interface BudgetLimits {
  readonly windowMs: number;
  /** POST/PUT/PATCH/DELETE per window, per app per tenant. */
  readonly writes: number;
  /** Any request per window, per app per tenant (writes included). */
  readonly reads: number;
}

/** The documented Intune limits per app per tenant (200 writes, 2,000 requests per 20 s) less a 10 % margin. */
export const DEFAULT_BUDGET_LIMITS: BudgetLimits = { windowMs: 20_000, writes: 180, reads: 1_800 };

export type BudgetKind = 'read' | 'write';

export type BudgetDecision = { readonly ok: true } | { readonly ok: false; readonly waitMs: number; readonly why: 'budget' | 'paused' };

// KEYS: pause, reads[, writes]. ARGV: now, windowMs, readLimit, writeLimit, member.
const ACQUIRE = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local pausedUntil = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if pausedUntil > now then return {0, pausedUntil - now, 'paused'} end
local cutoff = now - window
local wait = 0
for i = 2, #KEYS do
  local limit = tonumber(ARGV[i + 1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', cutoff)
  local n = redis.call('ZCARD', KEYS[i])
  if n >= limit then
    local holder = redis.call('ZRANGE', KEYS[i], n - limit, n - limit, 'WITHSCORES')
    local w = tonumber(holder[2]) + window - now
    if w > wait then wait = w end
  end
end
if wait > 0 then return {0, wait, 'budget'} end
for i = 2, #KEYS do
  redis.call('ZADD', KEYS[i], now, ARGV[5])
  redis.call('PEXPIRE', KEYS[i], window)
end
return {1, 0, 'ok'}
`;

// KEYS: pause. ARGV: pausedUntil, ms.
const PAUSE = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 1
`;

function checkLimits(limits: BudgetLimits): void {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`budget ${name} must be a positive integer, got ${String(value)}`);
  }
}

export class GraphBudget {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly limits: BudgetLimits,
    private readonly now: () => number = Date.now,
  ) {
    checkLimits(limits);
  }

  /** The keys of one tenant, all under the prefix. */
  keys(tenantId: string): { readonly reads: string; readonly writes: string; readonly pause: string } {
    const base = `${this.prefix}:graph`;
    return { reads: `${base}:budget:${tenantId}:read`, writes: `${base}:budget:${tenantId}:write`, pause: `${base}:pause:${tenantId}` };
  }

  /** Takes one call from the tenant's budget, or says how long to wait (the budget is full, or the tenant is paused). */
  async acquire(tenantId: string, kind: BudgetKind): Promise<BudgetDecision> {
    const k = this.keys(tenantId);
    const keys = kind === 'write' ? [k.pause, k.reads, k.writes] : [k.pause, k.reads];
    const raw = await this.redis.eval(ACQUIRE, keys.length, ...keys, this.now(), this.limits.windowMs, this.limits.reads, this.limits.writes, randomUUID());
    if (!Array.isArray(raw) || raw.length !== 3) throw new Error('the Graph budget script returned an unexpected reply');
    const [admitted, waitMs, why] = raw as [unknown, unknown, unknown];
    if (admitted === 1) return { ok: true };
    if (typeof waitMs !== 'number' || (why !== 'budget' && why !== 'paused')) throw new Error('the Graph budget script returned an unexpected reply');
    return { ok: false, waitMs: Math.max(1, Math.ceil(waitMs)), why };
  }

  /** Pauses every process's Graph calls for the tenant for `ms` (a 429's Retry-After). Never shortens a longer pause. */
  async pause(tenantId: string, ms: number): Promise<void> {
    const wait = Math.ceil(ms);
    if (!Number.isFinite(wait) || wait <= 0) return;
    await this.redis.eval(PAUSE, 1, this.keys(tenantId).pause, this.now() + wait, wait);
  }

  /** How long the tenant stays paused; 0 when it is not. */
  async pausedForMs(tenantId: string): Promise<number> {
    const value = await this.redis.get(this.keys(tenantId).pause);
    const until = value === null ? 0 : Number(value);
    return Number.isFinite(until) ? Math.max(0, until - this.now()) : 0;
  }

  /** Calls admitted in the current window, for the dashboard and metrics. */
  async usage(tenantId: string): Promise<{ writes: number; reads: number; limits: BudgetLimits }> {
    const k = this.keys(tenantId);
    const min = `(${String(this.now() - this.limits.windowMs)}`;
    const [reads, writes] = await Promise.all([this.redis.zcount(k.reads, min, '+inf'), this.redis.zcount(k.writes, min, '+inf')]);
    return { writes, reads, limits: this.limits };
  }
}
