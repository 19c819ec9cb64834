import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
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

  // Only load Testcontainers when a container runtime may be there: probing for one leaves timers behind that would
  // keep Jest from exiting promptly.
  if (containerRuntimeMayExist()) {
    try {
      return await startContainer();
    } catch {
      // No working container runtime: fall through to the local binary.
    }
  }

  const spawned = await spawnRedisServer();
  return { url: spawned.url, via: 'redis-server', stop: () => spawned.stop() };
}

function containerRuntimeMayExist(): boolean {
  if (process.env.DOCKER_HOST !== undefined || process.env.TESTCONTAINERS_HOST_OVERRIDE !== undefined) return true;
  const runtimeDir = process.env.XDG_RUNTIME_DIR;
  const sockets = ['/var/run/docker.sock', join(homedir(), '.docker/run/docker.sock'), ...(runtimeDir === undefined ? [] : [join(runtimeDir, 'docker.sock'), join(runtimeDir, 'podman/podman.sock')])];
  return sockets.some((socket) => existsSync(socket));
}

async function startContainer(): Promise<TestRedis> {
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
}
