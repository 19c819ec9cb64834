import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { HttpError } from '../../http/errors';

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

/**
 * Per-caller rate limits, counted in Redis so every intake process shares them (see bucketOf). The hook runs after
 * authentication, so a request that fails it is counted by `countFailedAuthentication` instead (src/intake/plugins/auth.ts).
 * If Redis is down the limiter steps aside: the route itself then answers 503.
 */
export const rateLimitPlugin = fp(
  async (app: FastifyInstance, opts: { redis: Redis; max: number; windowMs: number; nameSpace: string }) => {
    await app.register(rateLimit, {
      global: true,
      hook: 'preHandler',
      max: opts.max,
      timeWindow: opts.windowMs,
      redis: opts.redis,
      nameSpace: opts.nameSpace,
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
