import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { connect } from 'node:net';
import { backoffMs, type BackoffPolicy } from '../domain/backoff';
import { registerScripts } from './commands';

export type RedisRole = 'producer' | 'worker';

/** The URL schemes of a Redis Cluster: `redis-cluster://[user:password@]host:port[,host:port…]` (`rediss-cluster://` for TLS). */
export const REDIS_CLUSTER_SCHEMES = ['redis-cluster:', 'rediss-cluster:'] as const;

export interface ClusterAddress {
  readonly nodes: readonly { readonly host: string; readonly port: number }[];
  readonly username?: string;
  readonly password?: string;
  readonly tls: boolean;
}

/**
 * Reads a Redis Cluster URL: `redis-cluster://[user:password@]host:port[,host:port…]`, or `rediss-cluster://` for
 * TLS. The nodes are seeds: the client learns the others from CLUSTER SLOTS. Returns undefined for any other URL
 * (redis://, rediss://); throws for a cluster URL it cannot read. IPv6 hosts go in brackets: `[::1]:7000`.
 */
export function parseClusterUrl(url: string): ClusterAddress | undefined {
  const scheme = REDIS_CLUSTER_SCHEMES.find((s) => url.startsWith(`${s}//`));
  if (scheme === undefined) return undefined;
  let rest = url.slice(scheme.length + 2).replace(/\/+$/, '');
  let username: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const auth = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = auth.indexOf(':');
    const user = decodeURIComponent(colon < 0 ? auth : auth.slice(0, colon));
    const pass = colon < 0 ? '' : decodeURIComponent(auth.slice(colon + 1));
    if (user !== '') username = user;
    if (pass !== '') password = pass;
  }
  const nodes = rest.split(',').map((node) => {
    const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(node.trim());
    const port = Number(match?.[2]);
    if (match?.[1] === undefined || !(port >= 1 && port <= 65535)) throw new Error('a Redis Cluster URL lists its nodes as host:port, separated by commas');
    return { host: match[1].replace(/^\[|\]$/g, ''), port };
  });
  return { nodes, tls: scheme === 'rediss-cluster:', ...(username === undefined ? {} : { username }), ...(password === undefined ? {} : { password }) };
}

/**
 * How a lost connection is retried: 200 ms doubling to 5 s, less up to half of each wait at random, so that the many
 * clients of many processes do not all reconnect at once when Redis comes back.
 */
export const RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 200, maxMs: 5000, jitter: 0.5 };

/** ioredis's retryStrategy: the wait before reconnect attempt `times` (1-based). Never gives up. */
export function reconnectDelayMs(times: number, random: () => number = Math.random): number {
  return backoffMs(times, RECONNECT_BACKOFF, random);
}

// One argument only: a Cluster's clusterRetryStrategy is also passed the reason, which is no `random`.
const retryStrategy = (times: number): number => reconnectDelayMs(times);

/**
 * Redis connections by role, as BullMQ's production guide asks:
 * - producer (intake, dashboard, the workers' store): fail fast. No offline queue, one retry, a command timeout, so a
 *   Redis outage becomes a 503 at once instead of a request that hangs. Auto-pipelining: commands issued in the same
 *   tick go out in one write (the workflow benchmark measured a tenth of worker CPU in socket writes without it).
 *   `autoPipelining: false` writes each command as it is issued, in order (the intake's connection: ADR 016).
 * - worker: blocking commands, so `maxRetriesPerRequest: null` and keep reconnecting.
 *
 * `url` is a redis:// or rediss:// URL, or a Redis Cluster URL (`redis-cluster://host:port,host:port`, see
 * parseClusterUrl): then the client is an ioredis Cluster with the same behaviour per role. Every key the product
 * uses is under the hash tag REDIS_PREFIX, so each multi-key command, script and pipeline stays in one slot.
 */
export function createRedis(url: string, role: RedisRole, options: { commandTimeoutMs?: number; name?: string; autoPipelining?: boolean } = {}): Redis {
  const byRole: RedisOptions =
    role === 'producer'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: options.commandTimeoutMs ?? 2000, enableAutoPipelining: options.autoPipelining ?? true }
      : { maxRetriesPerRequest: null, enableOfflineQueue: true };
  const cluster = parseClusterUrl(url);
  const redis = cluster === undefined ? new Redis(url, { connectionName: options.name ?? `resetpc-${role}`, retryStrategy, lazyConnect: false, ...byRole }) : createCluster(cluster, role, byRole, options.name);
  // Connection errors are reported by health checks and by the commands that fail; without a listener,
  // ioredis would print each reconnect attempt to stderr.
  redis.on('error', () => undefined);
  registerScripts(redis);
  return redis;
}

function createCluster(address: ClusterAddress, role: RedisRole, byRole: RedisOptions, name: string | undefined): Redis {
  const { enableOfflineQueue, enableAutoPipelining, ...perNode } = byRole;
  const clusterOptions: ClusterOptions = {
    clusterRetryStrategy: retryStrategy,
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(enableAutoPipelining === undefined ? {} : { enableAutoPipelining }),
    // While a node fails over or the cluster is down, retry a command a few times before failing it.
    retryDelayOnClusterDown: 200,
    retryDelayOnFailover: 200,
    redisOptions: {
      ...perNode,
      connectionName: name ?? `resetpc-${role}`,
      ...(address.username === undefined ? {} : { username: address.username }),
      ...(address.password === undefined ? {} : { password: address.password }),
      ...(address.tls ? { tls: {} } : {}),
    },
  };
  const cluster = new Cluster(
    address.nodes.map((n) => ({ host: n.host, port: n.port })),
    clusterOptions,
  );
  // The one cast for Cluster support: the product is typed against `Redis`, and a Cluster answers every command it
  // uses (single-slot keys, EVALSHA with declared keys, pipelines within the prefix's slot, BullMQ, which accepts a
  // Cluster connection). Commands without keys (PING, INFO, CONFIG, SCAN) go to one node of the cluster.
  return cluster as unknown as Redis;
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
