import rateLimit, { type FastifyRateLimitStore, type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { HttpError } from '../../http/errors';
import { RateLimitLeases, type BudgetCount } from '../../store/rate-limit-leases';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Counts a failed authentication (a wrong or missing bearer token) against its source address's budget, the one
     * every unauthenticated request from that address uses. Once the budget is spent, the 429 to answer instead of the 401.
     */
    countFailedAuthentication(request: FastifyRequest): Promise<HttpError | undefined>;
  }
}

/** Webhook deliveries are authenticated by their signature, not a token: they have a budget of their own per address. */
const WEBHOOK_ROUTE = /^\/v1\/webhooks\//;

/**
 * The bucket a request counts against: the API token's (or dashboard session's) name once authenticated; a webhook
 * delivery's source address for webhooks, so that a flood of bad sign-ins from an address cannot starve the ticketing
 * system's deliveries from it; else the source address, which failed authentications and sign-ins use up.
 */
function bucketOf(request: FastifyRequest): string {
  if (request.caller !== null) return `caller:${request.caller.name}`;
  if (WEBHOOK_ROUTE.test(request.routeOptions.url ?? '')) return `webhook:${request.ip}`;
  return `ip:${request.ip}`;
}

const tooManyRequests = (after: string, ttlMs: number): HttpError =>
  new HttpError(429, 'rate_limited', `Too many requests; retry after ${after}`, undefined, { 'retry-after': String(Math.max(1, Math.ceil(ttlMs / 1000))) });

type StoreCallback = (error: Error | null, result?: BudgetCount) => void;

/**
 * @fastify/rate-limit's store over this process's leases of the shared budgets (src/store/rate-limit-leases.ts, ADR 014).
 * `keyOf` turns a bucket into its Redis key; a route with limits of its own (none today) gets buckets of its own.
 */
class LeasedStore implements FastifyRateLimitStore {
  constructor(
    private readonly leases: RateLimitLeases,
    private readonly keyOf: (bucket: string) => string,
    private readonly scope = '',
  ) {}

  incr(bucket: string, callback: StoreCallback, timeWindow: number, max: number): void {
    const counted = this.leases.count(this.keyOf(this.scope + bucket), max, timeWindow);
    if (!(counted instanceof Promise)) {
      callback(null, counted);
      return;
    }
    counted.then(
      (result) => {
        callback(null, result);
      },
      (error: unknown) => {
        callback(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  /** The plugin's `{ increment: false }`: what this process knows, without counting. */
  read(bucket: string, callback: StoreCallback, _timeWindow: number, max: number): void {
    callback(null, this.leases.peek(this.keyOf(this.scope + bucket), max));
  }

  child(routeOptions: { method: unknown; url: string }): LeasedStore {
    return new LeasedStore(this.leases, this.keyOf, `${String(routeOptions.method)}${routeOptions.url}-`);
  }
}

/** The plugin constructs its store itself (`new store(options)`): a class bound to this app's leases. */
function leasedStore(leases: RateLimitLeases, keyOf: (bucket: string) => string): FastifyRateLimitStoreCtor {
  return class extends LeasedStore {
    constructor() {
      super(leases, keyOf);
    }
  };
}

/**
 * Per-caller rate limits, shared by every intake process (see bucketOf) and exact: each process leases blocks of a
 * bucket's budget from Redis and counts locally (ADR 014). The hook runs after authentication, so a request that fails
 * it is counted by `countFailedAuthentication` instead (src/intake/plugins/auth.ts). If Redis is down the limiter steps
 * aside: the route itself then answers 503.
 */
export const rateLimitPlugin = fp(
  async (app: FastifyInstance, opts: { redis: Redis; max: number; windowMs: number; keyOf: (bucket: string) => string }) => {
    await app.register(rateLimit, {
      global: true,
      hook: 'preHandler',
      max: opts.max,
      timeWindow: opts.windowMs,
      store: leasedStore(new RateLimitLeases(opts.redis), opts.keyOf),
      skipOnError: true,
      keyGenerator: bucketOf,
      errorResponseBuilder: (_request, context) => tooManyRequests(context.after, context.ttl),
    });
    // The same store, key and limits as the hook above (createRateLimit with no options shares them).
    const limit = app.createRateLimit();
    app.decorate('countFailedAuthentication', async (request: FastifyRequest) => {
      const counted = await limit(request);
      if (counted.isAllowed || !counted.isExceeded) return undefined;
      return tooManyRequests(`${String(counted.ttlInSeconds)} seconds`, counted.ttl);
    });
  },
  { name: 'rate-limit' },
);
