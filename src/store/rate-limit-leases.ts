import type { Redis } from 'ioredis';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { defineScript } from '../redis/commands';

/**
 * The rate limiter's budgets, shared by every intake process and exact, at one Redis round trip per block of requests
 * instead of one per request (ADR 014).
 *
 * A bucket's window is one Redis key: a counter of what has been handed out, which expires when the window ends. A
 * process leases a block of it (LEASE_BUDGET: min(block, what is left), the key's TTL set to the window when it is
 * created) and then counts requests against its lease locally. It asks again when its lease is used up, and refuses
 * without asking once Redis has handed out the whole budget, until the window ends. No more than `max` requests are
 * let through per window in total, whatever the number of processes: a lease is only used inside the window it was
 * taken from (its end is measured from when the lease was sent, so never later than Redis's), and what a process has
 * not used when its window ends is dropped, never carried over.
 */

/**
 * Hands out up to a block of a bucket's window budget.
 * KEYS[1]: the bucket's key.  ARGV[1]: the window (ms), ARGV[2]: the budget per window (max), ARGV[3]: the block wanted.
 * Returns {granted, handed out in this window so far (granted included), the window's remaining ms}. A counter the
 * previous limiter (@fastify/rate-limit's Redis store, INCR per request, same keys) left is read the same way.
 */
const LEASE_BUDGET = `
local used = tonumber(redis.call('GET', KEYS[1]) or 0)
local grant = math.min(tonumber(ARGV[3]), tonumber(ARGV[2]) - used)
if grant > 0 then
  used = redis.call('INCRBY', KEYS[1], grant)
else
  grant = 0
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { grant, used, ttl }
`;

const leaseBudget = defineScript<[windowMs: number, max: number, block: number], [number, number, number]>(
  'resetpcLeaseRateBudget',
  LEASE_BUDGET,
  z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative(), z.number().int().nonnegative()]),
);

/** The block a process leases at once: about 1% of the budget, at least 1 and at most 50, so a small budget stays fair between processes. */
export function leaseBlock(max: number): number {
  return Math.min(50, Math.max(1, Math.round(max / 100)));
}

/** What a request counted against a bucket learns: as @fastify/rate-limit's stores answer. `current > max` is a refusal. */
export interface BudgetCount {
  /** Requests counted in the window as far as this process knows (max + 1 once refused). */
  readonly current: number;
  /** Milliseconds until the window ends. */
  readonly ttl: number;
}

interface Lease {
  /** Monotonic ms at which this process's view of the window ends; 0: no window. */
  endsAt: number;
  /** Requests leased and not yet used. */
  left: number;
  /** What Redis had handed out in this window after the last lease. */
  handedOut: number;
  /** Redis has handed out the whole window: refuse until endsAt without asking. */
  spent: boolean;
  /** The lease in flight, which requests that find none left wait for. */
  pending: Promise<void> | undefined;
}

export interface RateLimitLeasesOptions {
  /**
   * At most this many buckets are remembered. At the cap, those that hold nothing are dropped first, then the least
   * recently used, down to 90% of the cap (their unused leases are lost, never reused).
   */
  readonly maxBuckets?: number;
  /** A monotonic clock in ms (tests). */
  readonly clock?: () => number;
}

/** One process's leases of its buckets' budgets. Keys are Redis keys (src/store/keys.ts: storeKeys().rateLimit). */
export class RateLimitLeases {
  /** In order of use, least recently used first: a bucket is moved to the end each time it is counted against. */
  private readonly leases = new Map<string, Lease>();
  private readonly maxBuckets: number;
  private readonly clock: () => number;
  private lastSweep = 0;

  constructor(
    private readonly redis: Redis,
    options: RateLimitLeasesOptions = {},
  ) {
    this.maxBuckets = options.maxBuckets ?? 10_000;
    this.clock = options.clock ?? (() => performance.now());
  }

  /** Buckets remembered now. */
  get size(): number {
    return this.leases.size;
  }

  /**
   * Counts one request against the bucket. Answers at once while this process holds some of the window's budget or
   * knows it is spent; otherwise after one lease from Redis (requests that arrive meanwhile wait for the same lease).
   * Rejects when Redis does not answer.
   */
  count(key: string, max: number, windowMs: number): BudgetCount | Promise<BudgetCount> {
    const lease = this.leases.get(key);
    if (lease !== undefined) {
      this.touch(key, lease);
      const counted = this.countLocally(lease, max);
      if (counted !== undefined) return counted;
    }
    return this.countAfterLease(key, max, windowMs);
  }

  /** What this process knows of the bucket, without counting. */
  peek(key: string, max: number): BudgetCount {
    const lease = this.leases.get(key);
    const now = this.clock();
    if (lease === undefined || now >= lease.endsAt) return { current: 0, ttl: 0 };
    return { current: lease.left === 0 && lease.spent ? max + 1 : lease.handedOut - lease.left, ttl: Math.ceil(lease.endsAt - now) };
  }

  private countLocally(lease: Lease, max: number): BudgetCount | undefined {
    const now = this.clock();
    if (now >= lease.endsAt) return undefined;
    const ttl = Math.ceil(lease.endsAt - now);
    if (lease.left > 0) {
      lease.left--;
      return { current: lease.handedOut - lease.left, ttl };
    }
    return lease.spent ? { current: max + 1, ttl } : undefined;
  }

  private async countAfterLease(key: string, max: number, windowMs: number): Promise<BudgetCount> {
    for (;;) {
      const lease = this.leases.get(key) ?? this.remember(key);
      if (lease.pending === undefined) {
        lease.pending = this.renew(key, lease, max, windowMs).finally(() => {
          lease.pending = undefined;
        });
      }
      await lease.pending;
      const counted = this.countLocally(lease, max);
      if (counted !== undefined) return counted;
      // Others took the lease before this request, or the window ended as it was granted: lease again.
    }
  }

  private async renew(key: string, lease: Lease, max: number, windowMs: number): Promise<void> {
    const sentAt = this.clock();
    if (sentAt >= lease.endsAt) {
      // A new window: what was left of the old one's lease is not this window's to use.
      lease.left = 0;
      lease.spent = false;
    }
    const [granted, handedOut, ttl] = await leaseBudget.run(this.redis, [key], [windowMs, max, leaseBlock(max)]);
    // Measured from when the lease was sent: Redis's window ends no earlier than this.
    lease.endsAt = sentAt + ttl;
    lease.left += granted;
    lease.handedOut = handedOut;
    lease.spent = handedOut >= max;
  }

  /** Moves the bucket to the end of the map, so that the map's order is the order of use. */
  private touch(key: string, lease: Lease): void {
    this.leases.delete(key);
    this.leases.set(key, lease);
  }

  private remember(key: string): Lease {
    const now = this.clock();
    if (this.leases.size >= this.maxBuckets || now - this.lastSweep >= 60_000) this.sweep(now);
    const lease: Lease = { endsAt: 0, left: 0, handedOut: 0, spent: false, pending: undefined };
    this.leases.set(key, lease);
    return lease;
  }

  /**
   * Forgets buckets whose window has ended. At the cap (a flood of distinct addresses), also those that hold nothing
   * (lease used up, budget not spent: their next request leases anyway), then the least recently used, down to 90% of
   * the cap: a busy caller's lease is kept, and the next sweep at the cap is a tenth of the cap's new buckets away.
   */
  private sweep(now: number): void {
    this.lastSweep = now;
    const full = this.leases.size >= this.maxBuckets;
    for (const [key, lease] of this.leases) {
      const holdsNothing = now >= lease.endsAt || (full && lease.left === 0 && !lease.spent);
      if (holdsNothing && lease.pending === undefined) this.leases.delete(key);
    }
    if (!full) return;
    const target = Math.floor(this.maxBuckets * 0.9);
    for (const key of this.leases.keys()) {
      if (this.leases.size <= target) break;
      // A lease in flight still serves the requests waiting for it: they hold it, not the map.
      this.leases.delete(key);
    }
  }
}
