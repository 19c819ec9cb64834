import type { FastifyInstance } from 'fastify';
import { HttpError } from '../http/errors';
import { StoreUnavailableError } from '../store/errors';
import type { MetricsRenderer } from './prometheus';

/** Every metric is read from Redis at scrape time: without Redis there are none to give, and the scrape is retried. */
const metricsUnavailable = (): HttpError =>
  new HttpError(503, 'unavailable', 'The metrics are read from Redis, which is not answering; retry later', undefined, { 'retry-after': '5' });

/**
 * GET /metrics for Prometheus. It needs a bearer token with the `operate` role (Prometheus: `authorization` in the
 * scrape config), unless METRICS_PUBLIC=true (for a scrape network that nothing else reaches). While Redis is down it
 * answers 503 with Retry-After, in the error shape of every other route.
 */
export function metricsRoutes(deps: { renderer: MetricsRenderer; public: boolean }) {
  return (app: FastifyInstance): void => {
    app.get(
      '/metrics',
      {
        config: { rateLimit: false },
        ...(deps.public ? {} : { onRequest: app.requireRole('operate') }),
        schema: { summary: 'Prometheus metrics (text format)', description: 'See docs/operations.md for what each metric means. 503 with Retry-After while Redis is unavailable.', tags: ['health'], security: deps.public ? [] : [{ bearer: [] }] },
      },
      async (request, reply) => {
        let text: string;
        try {
          text = await deps.renderer.render();
        } catch (err) {
          if (!(err instanceof StoreUnavailableError)) throw err;
          request.log.warn({ err: err.cause }, 'metrics: Redis unavailable');
          throw metricsUnavailable();
        }
        return reply.type(deps.renderer.contentType).header('cache-control', 'no-store').send(text);
      },
    );
  };
}
