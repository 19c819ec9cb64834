import { spawnRedisServer } from '../../src/redis/spawn';

export interface TestRedis {
  readonly url: string;
  readonly via: 'REDIS_URL' | 'testcontainers' | 'redis-server';
  stop(): Promise<void>;
}

/**
 * A Redis for the test run: REDIS_URL when set; else a Testcontainers Redis when a container runtime answers;
 * else `redis-server` spawned on a free port with a temporary directory.
 */
export async function startTestRedis(): Promise<TestRedis> {
  const given = process.env.REDIS_URL;
  if (given !== undefined && given !== '') return { url: given, via: 'REDIS_URL', stop: () => Promise.resolve() };

  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    const { RedisContainer } = await import('@testcontainers/redis');
    const container = await new RedisContainer('redis:7-alpine').start();
    return {
      url: container.getConnectionUrl(),
      via: 'testcontainers',
      stop: async () => {
        await container.stop();
      },
    };
  } catch {
    // No container runtime here: fall through to the local binary.
  }

  const spawned = await spawnRedisServer();
  return { url: spawned.url, via: 'redis-server', stop: () => spawned.stop() };
}
