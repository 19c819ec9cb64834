import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

const healthSchema = z.object({ status: z.enum(['live', 'ready', 'unavailable']), checks: z.record(z.string(), z.string()).optional() });

/** `ping`: asks the store (Redis) whether it answers; it rejects when it does not. */
export function healthRoutes(deps: { ping: () => Promise<unknown>; timeoutMs?: number }) {
  return (fastify: FastifyInstance): void => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    const timeoutMs = deps.timeoutMs ?? 1000;

    app.get('/health/live', { config: { rateLimit: false }, schema: { tags: ['health'], summary: 'The process is up', response: { 200: healthSchema } } }, () => ({
      status: 'live' as const,
    }));

    app.get(
      '/health/ready',
      { config: { rateLimit: false }, schema: { tags: ['health'], summary: 'Ready to accept requests (Redis answers)', response: { 200: healthSchema, 503: healthSchema } } },
      async (_request, reply) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            deps.ping(),
            new Promise((_, reject) => {
              timer = setTimeout(() => {
                reject(new Error('timeout'));
              }, timeoutMs);
            }),
          ]);
          return { status: 'ready' as const, checks: { redis: 'ok' } };
        } catch {
          return await reply.code(503).header('retry-after', '5').send({ status: 'unavailable' as const, checks: { redis: 'unreachable' } });
        } finally {
          clearTimeout(timer);
        }
      },
    );
  };
}
