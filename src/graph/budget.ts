/**
 * The Graph budget: one per tenant, shared by every worker process through Redis, so all of them together stay under
 * the Intune limits (learn.microsoft.com/graph/throttling-limits, DOMAIN.md §2) instead of each finding them by 429s.
 * ADR 010 explains the design; in short:
 *
 * - Paced, not bursty. Each kind (read, write) is a GCRA schedule: calls are admitted one emission interval apart
 *   (window / limit: 111 ms for 180 writes per 20 s), so any stretch of one window holds at most the limit, even after
 *   a few tens of ms of network jitter between our clock and Graph's. Reads may run `tolerance` ahead of schedule
 *   (5 % of the window) so that a step's few reads rarely wait; writes never run ahead.
 * - A write is a request too (Graph counts a POST against both limits), so the request budget is split in two lanes:
 *   `writes` for writes, and `reads - 2 × writes` for other reads. Each lane has its own schedule, so a POST never
 *   queues behind a crowd of reads. A write's admission also covers one read made just before it (the device's action
 *   results, read at the POST's slot: ADR 017), so the write lane holds `2 × writes` requests and the two lanes
 *   together never exceed the request budget.
 * - Reservations, not retries. A call that must wait is given the next free slot at once, keyed by its `holder` (the
 *   call and the device it is for), and told how long to wait. When it comes back it takes its slot without asking
 *   again; a slot not taken within `tolerance` of its time is dropped (it was counted, so dropping it is safe). So a
 *   thousand waiting jobs wake once each, at their own times, instead of all at once for the same few slots.
 * - A tenant pause: a 429's Retry-After sets the tenant's pause key (value = paused-until ms), and every process
 *   honours it. A pause only ever grows.
 * - One clock: Redis's (TIME, in the scripts), so workers on different hosts agree. Tests inject their own.
 * All keys come from the key module (src/store/keys.ts, graphKeys), under the configured hash-tag prefix, so the
 * multi-key scripts are valid on Redis Cluster.
 */
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { defineScript } from '../redis/commands';
import { graphKeys, type GraphKeys } from '../store/keys';

export interface BudgetLimits {
  readonly windowMs: number;
  /** POST/PUT/PATCH/DELETE per window, per app per tenant. */
  readonly writes: number;
  /**
   * Any request per window, per app per tenant (writes included). Each write's admission covers the write and one read
   * before it, so the read lane gets `reads - 2 × writes`.
   */
  readonly reads: number;
}

/** The documented Intune limits per app per tenant (200 writes, 2,000 requests per 20 s) less a 10 % margin. */
export const DEFAULT_BUDGET_LIMITS: BudgetLimits = { windowMs: 20_000, writes: 180, reads: 1_800 };

/** How far ahead of schedule reads may run, and how late a reserved slot may still be taken: this share of the window. */
export const TOLERANCE_SHARE = 0.05;

export type BudgetKind = 'read' | 'write';

export type BudgetDecision = { readonly ok: true } | { readonly ok: false; readonly waitMs: number; readonly why: 'budget' | 'paused' };

// The clock: ARGV[1] when the caller injects one, else Redis's TIME in ms.
const CLOCK = `
local function clock(arg)
  if arg ~= '' then return tonumber(arg) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

// KEYS: pause, read TAT, read log, slot[, write TAT, write log].
// ARGV: now|'', windowMs, read interval, write interval, tolerance, member, has-holder ('1'|'0').
const ACQUIRE = `${CLOCK}
local now = clock(ARGV[1])
local window = tonumber(ARGV[2])
local readInterval, writeInterval, tolerance = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local write = #KEYS == 6
local pausedUntil = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if pausedUntil > now then return {0, math.ceil(pausedUntil - now), 'paused'} end

-- The request log counts a write's admission twice: the write, and the read it covers (ADR 017).
local function admit()
  local logs = write and {KEYS[3], KEYS[6]} or {KEYS[3]}
  for _, log in ipairs(logs) do
    redis.call('ZREMRANGEBYSCORE', log, '-inf', now - window)
    redis.call('ZADD', log, now, ARGV[6])
    redis.call('PEXPIRE', log, window)
  end
  if write then redis.call('ZADD', KEYS[3], now, ARGV[6] .. '+read') end
  return {1, 0, 'ok'}
end

local holder = ARGV[7] == '1'
if holder then
  local slot = tonumber(redis.call('GET', KEYS[4]) or '')
  if slot ~= nil then
    if slot > now then return {0, math.ceil(slot - now), 'budget'} end
    redis.call('DEL', KEYS[4])
    if now - slot <= tolerance then return admit() end
  end
end

local tatKey = write and KEYS[5] or KEYS[2]
local interval = write and writeInterval or readInterval
local tat = tonumber(redis.call('GET', tatKey) or '0') or 0
local at = math.max(now, tat - (write and 0 or tolerance))
if at > now and not holder then return {0, math.ceil(at - now), 'budget'} end

local nextTat = math.max(tat, at) + interval
redis.call('SET', tatKey, nextTat, 'PX', math.ceil(nextTat - now + window))
if at > now then
  redis.call('SET', KEYS[4], at, 'PX', math.ceil(at - now + window))
  return {0, math.ceil(at - now), 'budget'}
end
return admit()
`;

// KEYS: pause. ARGV: now|'', ms.
const PAUSE = `${CLOCK}
local now = clock(ARGV[1])
local ms = tonumber(ARGV[2])
local current = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if now + ms > current then redis.call('SET', KEYS[1], now + ms, 'PX', ms) end
return 1
`;

// KEYS: pause, read log, write log. ARGV: now|'', windowMs. Returns {pausedForMs, reads, writes}.
const STATUS = `${CLOCK}
local now = clock(ARGV[1])
local min = '(' .. (now - tonumber(ARGV[2]))
local pausedUntil = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
return {math.max(0, pausedUntil - now), redis.call('ZCOUNT', KEYS[2], min, '+inf'), redis.call('ZCOUNT', KEYS[3], min, '+inf')}
`;

// The scripts as typed commands (ioredis defineCommand); their replies are checked below.
type Clock = string;
const acquireScript = defineScript<[now: Clock, windowMs: number, readInterval: number, writeInterval: number, tolerance: number, member: string, hasHolder: '0' | '1']>('resetpcBudgetAcquire', ACQUIRE);
const pauseScript = defineScript<[now: Clock, ms: number]>('resetpcBudgetPause', PAUSE);
const statusScript = defineScript<[now: Clock, windowMs: number]>('resetpcBudgetStatus', STATUS);

function checkLimits(limits: BudgetLimits): void {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`budget ${name} must be a positive integer, got ${String(value)}`);
  }
  if (limits.reads <= 2 * limits.writes) {
    throw new RangeError(`the request budget (${String(limits.reads)}) must be more than twice the write budget (${String(limits.writes)}): each write and the read it covers count as requests too`);
  }
}

function integers(raw: unknown, length: number, what: string): number[] {
  if (!Array.isArray(raw) || raw.length !== length) throw new Error(`the Graph budget ${what} script returned an unexpected reply`);
  return raw.map((v) => (typeof v === 'number' ? v : Number.NaN));
}

export class GraphBudget {
  private readonly graphKeys: GraphKeys;
  private readonly readInterval: number;
  private readonly writeInterval: number;
  private readonly tolerance: number;

  /** `now` is for tests; production uses Redis's clock, shared by every process. */
  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly limits: BudgetLimits,
    private readonly now?: () => number,
  ) {
    checkLimits(limits);
    this.graphKeys = graphKeys(prefix);
    this.readInterval = limits.windowMs / (limits.reads - 2 * limits.writes);
    this.writeInterval = limits.windowMs / limits.writes;
    this.tolerance = Math.floor(limits.windowMs * TOLERANCE_SHARE);
  }

  /** The keys of one tenant (src/store/keys.ts); `slot` is the holder's reserved slot, or the tenant's own without one. */
  keys(tenantId: string, holder?: string) {
    return this.graphKeys.budget(tenantId, holder);
  }

  private clock(): string {
    return this.now === undefined ? '' : String(this.now());
  }

  /**
   * Takes one call from the tenant's budget, or says how long to wait (the budget is booked, or the tenant is paused).
   * With a `holder` (one per call and device), a call that must wait has its slot reserved: calling again with the
   * same holder after `waitMs` admits it.
   */
  async acquire(tenantId: string, kind: BudgetKind, holder?: string): Promise<BudgetDecision> {
    const k = this.keys(tenantId, holder === undefined ? undefined : `${kind}|${holder}`);
    const keys = kind === 'write' ? [k.pause, k.readTat, k.reads, k.slot, k.writeTat, k.writes] : [k.pause, k.readTat, k.reads, k.slot];
    const raw = await acquireScript.run(this.redis, keys, [this.clock(), this.limits.windowMs, this.readInterval, this.writeInterval, this.tolerance, randomUUID(), holder === undefined ? '0' : '1']);
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
    await pauseScript.run(this.redis, [this.keys(tenantId).pause], [this.clock(), wait]);
  }

  /** How long the tenant stays paused; 0 when it is not. */
  async pausedForMs(tenantId: string): Promise<number> {
    return (await this.status(tenantId)).pausedForMs;
  }

  /** Calls admitted in the last window, for the dashboard and metrics: `reads` counts every request, the reads each write covers included. */
  async usage(tenantId: string): Promise<{ writes: number; reads: number; limits: BudgetLimits }> {
    const { reads, writes } = await this.status(tenantId);
    return { writes, reads, limits: this.limits };
  }

  private async status(tenantId: string): Promise<{ pausedForMs: number; reads: number; writes: number }> {
    const k = this.keys(tenantId);
    const [pausedForMs = 0, reads = 0, writes = 0] = integers(await statusScript.run(this.redis, [k.pause, k.reads, k.writes], [this.clock(), this.limits.windowMs]), 3, 'status');
    return { pausedForMs, reads, writes };
  }
}
