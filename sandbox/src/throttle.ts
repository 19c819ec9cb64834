/**
 * Throttling modelled on the Intune devices service limits (learn.microsoft.com/graph/throttling-limits): per app per
 * tenant and per tenant, separate budgets for writes and for all requests, counted in an exact sliding window.
 * Device configuration reads have half the request budget. A refused request is not counted.
 */
import type { SandboxClock } from './clock';

export interface ThrottleLimits {
  readonly windowMs: number;
  readonly appWrites: number;
  readonly appRequests: number;
  readonly tenantWrites: number;
  readonly tenantRequests: number;
  readonly appConfigReads: number;
  readonly tenantConfigReads: number;
}

/** The documented Intune limits: 200 writes and 2,000 requests per app per tenant, 400 and 4,000 per tenant, per 20 s. */
export const INTUNE_THROTTLE_LIMITS: ThrottleLimits = {
  windowMs: 20_000,
  appWrites: 200,
  appRequests: 2_000,
  tenantWrites: 400,
  tenantRequests: 4_000,
  appConfigReads: 1_000,
  tenantConfigReads: 2_000,
};

/** What a request counts against. */
export type ThrottleClass = 'read' | 'write' | 'configRead';

export type ThrottleDecision = { readonly admitted: true } | { readonly admitted: false; readonly retryAfterSeconds: number; readonly scope: 'app' | 'tenant' };

interface Bucket {
  readonly key: string;
  readonly limit: number;
  readonly scope: 'app' | 'tenant';
}

export class SlidingWindowThrottle {
  private limits: ThrottleLimits;
  private readonly admitted = new Map<string, number[]>();

  constructor(
    private readonly clock: SandboxClock,
    limits: ThrottleLimits = INTUNE_THROTTLE_LIMITS,
  ) {
    this.limits = limits;
  }

  get currentLimits(): ThrottleLimits {
    return this.limits;
  }

  /** Replaces some limits; the requests already admitted stay in the window. */
  setLimits(limits: Partial<ThrottleLimits>): void {
    this.limits = { ...this.limits, ...limits };
  }

  /** Forgets every admitted request. */
  reset(): void {
    this.admitted.clear();
  }

  /** Admits (and counts) the request, or refuses it with the seconds until the window has room. */
  admit(tenantId: string, appId: string, cls: ThrottleClass): ThrottleDecision {
    const now = this.clock.now();
    const l = this.limits;
    const app = `app:${tenantId}:${appId}`;
    const tenant = `tenant:${tenantId}`;
    const buckets: Bucket[] = [
      { key: `${app}:all`, limit: l.appRequests, scope: 'app' },
      { key: `${tenant}:all`, limit: l.tenantRequests, scope: 'tenant' },
    ];
    if (cls === 'write') {
      buckets.push({ key: `${app}:write`, limit: l.appWrites, scope: 'app' }, { key: `${tenant}:write`, limit: l.tenantWrites, scope: 'tenant' });
    }
    if (cls === 'configRead') {
      buckets.push({ key: `${app}:config`, limit: l.appConfigReads, scope: 'app' }, { key: `${tenant}:config`, limit: l.tenantConfigReads, scope: 'tenant' });
    }

    let refusal: { retryAt: number; scope: 'app' | 'tenant' } | undefined;
    for (const bucket of buckets) {
      const times = this.window(bucket.key, now);
      if (times.length >= bucket.limit) {
        // Room comes back when the request that holds the limit-th place from the end leaves the window.
        const holder = times[times.length - bucket.limit] ?? now;
        const retryAt = holder + l.windowMs;
        if (refusal === undefined || retryAt > refusal.retryAt) refusal = { retryAt, scope: bucket.scope };
      }
    }
    if (refusal !== undefined) {
      return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil((refusal.retryAt - now) / 1000)), scope: refusal.scope };
    }
    for (const bucket of buckets) this.window(bucket.key, now).push(now);
    return { admitted: true };
  }

  /** The admitted times still inside the window (now - windowMs, now], oldest first. */
  private window(key: string, now: number): number[] {
    let times = this.admitted.get(key);
    if (times === undefined) {
      times = [];
      this.admitted.set(key, times);
    }
    const cutoff = now - this.limits.windowMs;
    let drop = 0;
    while (drop < times.length && (times[drop] ?? Infinity) <= cutoff) drop += 1;
    if (drop > 0) times.splice(0, drop);
    return times;
  }
}
