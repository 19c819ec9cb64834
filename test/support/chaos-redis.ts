import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, spawnRedisServer, type SpawnedRedis } from '../../src/redis/spawn';
import { waitFor } from './env';

/**
 * A redis-server of the scenario's own, as production runs it (AOF, `appendfsync everysec`, noeviction), that the
 * scenario can stop and start again on the same port with the same data directory.
 */
export interface ChaosRedis {
  /** redis://127.0.0.1:PORT, the same across restarts. */
  readonly url: string;
  readonly running: boolean;
  /** Stops the server: SIGTERM, so it writes its AOF out before exiting (a clean shutdown). */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data directory; resolves once it answers PING. */
  start(): Promise<void>;
  /** Stops it if it runs, and removes its data directory. */
  close(): Promise<void>;
}

export async function startChaosRedis(): Promise<ChaosRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'resetpc-chaos-redis-'));
  const port = await freePort();
  let server: SpawnedRedis | undefined = await spawnRedisServer({ port, dir });
  const url = server.url;
  const stop = async (): Promise<void> => {
    // The directory is ours (passed in), so SpawnedRedis.stop keeps it.
    await server?.stop();
    server = undefined;
  };
  return {
    url,
    get running() {
      return server !== undefined;
    },
    stop,
    async start() {
      if (server !== undefined) return;
      server = await spawnRedisServer({ port, dir });
    },
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A Redis Cluster of `masters` redis-server processes (no replicas), each with AOF, on loopback ports. */
export interface ChaosRedisCluster {
  /** redis-cluster://127.0.0.1:P1,127.0.0.1:P2,… (src/redis/connection.ts). */
  readonly url: string;
  readonly nodes: readonly SpawnedRedis[];
  /** How many keys each node holds (node order), e.g. to see where the product's keys went. */
  keyCounts(): Promise<number[]>;
  close(): Promise<void>;
}

async function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${String(code)}:\n${out}`));
    });
  });
}

/** Starts the nodes with `--cluster-enabled yes`, joins them with `redis-cli --cluster create`, waits for cluster_state:ok. */
export async function startRedisCluster(masters = 3): Promise<ChaosRedisCluster> {
  const nodes: SpawnedRedis[] = [];
  try {
    for (let i = 0; i < masters; i++) {
      nodes.push(await spawnRedisServer({ extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000'] }));
    }
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${String(n.port)}`), '--cluster-replicas', '0', '--cluster-yes']);
    const clients = nodes.map((n) => new Redis(n.url, { lazyConnect: false, maxRetriesPerRequest: 1 }));
    try {
      await waitFor(async () => {
        const infos = await Promise.all(clients.map(async (c) => String(await c.call('CLUSTER', 'INFO'))));
        return infos.every((info) => info.includes('cluster_state:ok'));
      }, 20_000, 'the Redis Cluster to be ok on every node');
    } finally {
      for (const c of clients) c.disconnect();
    }
  } catch (err) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw err;
  }
  return {
    url: `redis-cluster://${nodes.map((n) => `127.0.0.1:${String(n.port)}`).join(',')}`,
    nodes,
    async keyCounts() {
      const clients = nodes.map((n) => new Redis(n.url, { maxRetriesPerRequest: 1 }));
      try {
        return await Promise.all(clients.map(async (c) => c.dbsize()));
      } finally {
        for (const c of clients) c.disconnect();
      }
    },
    async close() {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}
