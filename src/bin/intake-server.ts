import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/schema';
import type { TokenRegistry } from '../auth/tokens';
import { buildIntakeApp } from '../intake/app';
import { createQueues } from '../queue/queues';
import { createRedis } from '../redis/connection';

export interface RunningIntake {
  readonly app: FastifyInstance;
  readonly url: string;
}

/**
 * The intake's composition root: builds the Redis connection and queues from config, mounts the app and listens.
 * Closing the app closes the queues and Redis (onClose), after requests in flight have finished.
 */
export async function startIntakeServer(config: Config, tokens: TokenRegistry, redisUrl = config.REDIS_URL): Promise<RunningIntake> {
  const redis = createRedis(redisUrl, 'producer', { commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS, name: 'resetpc-intake' });
  const queues = createQueues(redis, config.REDIS_PREFIX);
  const app = await buildIntakeApp({ config, redis, queues, tokens, version: process.env.npm_package_version ?? '0.0.0' });
  app.addHook('onClose', async () => {
    await queues.close();
    await redis.quit().catch(() => {
      redis.disconnect();
    });
  });
  const url = await app.listen({ port: config.PORT, host: config.HOST });
  return { app, url };
}
