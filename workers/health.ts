import Fastify, { type FastifyInstance } from 'fastify';
import type { RunningWorkers } from './compose';

/**
 * The worker process's health endpoint: /health/live (the process is up) and /health/ready (its Redis answers and
 * the reset and notify workers are running). For container healthchecks and load-balancer probes; it serves nothing else.
 */
export async function startWorkerHealth(workers: RunningWorkers, host: string, port: number): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.get('/health/live', () => ({ status: 'live' }));
  app.get('/health/ready', async (_request, reply) => {
    const running = workers.reset.isRunning() && workers.notify.isRunning();
    const redis = await workers.ping().then(
      () => true,
      () => false,
    );
    if (running && redis) return { status: 'ready', checks: { redis: 'ok', worker: 'running' } };
    return reply.code(503).send({ status: 'unavailable', checks: { redis: redis ? 'ok' : 'unreachable', worker: running ? 'running' : 'stopped' } });
  });
  await app.listen({ host, port });
  return app;
}
