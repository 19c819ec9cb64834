import type { FastifyInstance } from 'fastify';
import type { MetricsRenderer } from './prometheus';

/**
 * GET /metrics for Prometheus. It needs a bearer token with the `operate` role (Prometheus: `authorization` in the
 * scrape config), unless METRICS_PUBLIC=true (for a scrape network that nothing else reaches).
 */
export function metricsRoutes(deps: { renderer: MetricsRenderer; public: boolean }) {
  return (app: FastifyInstance): void => {
    app.get(
      '/metrics',
      {
        config: { rateLimit: false },
        ...(deps.public ? {} : { onRequest: app.requireRole('operate') }),
        schema: { summary: 'Prometheus metrics (text format)', description: 'See docs/operations.md for what each metric means.', tags: ['health'], security: deps.public ? [] : [{ bearer: [] }] },
      },
      async (_request, reply) => {
        const text = await deps.renderer.render();
        return reply.type(deps.renderer.contentType).header('cache-control', 'no-store').send(text);
      },
    );
  };
}
