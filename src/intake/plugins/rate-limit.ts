import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { HttpError } from '../errors';

/**
 * Per-caller rate limits, counted in Redis so every intake process shares them. The key is the API token's
 * name once authenticated (the hook runs after auth), else the source address. If Redis is down the limiter
 * steps aside: the route itself then answers 503.
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
      keyGenerator: (request) => (request.caller === null ? `ip:${request.ip}` : `caller:${request.caller.name}`),
      errorResponseBuilder: (_request, context) =>
        new HttpError(429, 'rate_limited', `Too many requests; retry after ${context.after}`, undefined, {
          'retry-after': String(Math.ceil(context.ttl / 1000)),
        }),
    });
  },
  { name: 'rate-limit', dependencies: ['auth'] },
);
