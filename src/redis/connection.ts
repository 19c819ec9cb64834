import { Redis, type RedisOptions } from 'ioredis';
import { connect } from 'node:net';

export type RedisRole = 'producer' | 'worker';

/**
 * Redis connections by role, as BullMQ's production guide asks:
 * - producer (intake, dashboard, the workers' store): fail fast. No offline queue, one retry, a command timeout, so a
 *   Redis outage becomes a 503 at once instead of a request that hangs. Auto-pipelining: commands issued in the same
 *   tick go out in one write (the workflow benchmark measured a tenth of worker CPU in socket writes without it).
 * - worker: blocking commands, so `maxRetriesPerRequest: null` and keep reconnecting.
 */
export function createRedis(url: string, role: RedisRole, options: { commandTimeoutMs?: number; name?: string } = {}): Redis {
  const common: RedisOptions = {
    connectionName: options.name ?? `resetpc-${role}`,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 5000),
    lazyConnect: false,
  };
  const byRole: RedisOptions =
    role === 'producer'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: options.commandTimeoutMs ?? 2000, enableAutoPipelining: true }
      : { maxRetriesPerRequest: null, enableOfflineQueue: true };
  const redis = new Redis(url, { ...common, ...byRole });
  // Connection errors are reported by health checks and by the commands that fail; without a listener,
  // ioredis would print each reconnect attempt to stderr.
  redis.on('error', () => undefined);
  return redis;
}

/** Resolves once the client is connected, or rejects after `timeoutMs`. */
export async function waitForReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis did not become ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}

/**
 * Is a Redis server answering PING, without authentication, at `url`'s host and port? Used by the embedded start to
 * pick a Redis and by spawnRedisServer to wait for its server. A plain socket, so a refused probe leaves no
 * reconnect timers behind.
 */
export async function redisAnswers(url: string, timeoutMs = 1000): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname === '' ? '127.0.0.1' : hostname, port: port === '' ? 6379 : Number(port) });
    let reply = '';
    const done = (answer: boolean): void => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => {
      done(false);
    });
    socket.once('error', () => {
      done(false);
    });
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
