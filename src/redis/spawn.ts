import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisAnswers } from './connection';

export interface SpawnedRedis {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export class RedisServerNotFoundError extends Error {
  readonly code = 'redis_server_not_found';
  constructor() {
    super(
      'No Redis is reachable and the redis-server binary was not found. Set REDIS_URL to a Redis 6.2+ server, ' +
        'or start one on 127.0.0.1:6379, or install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis).',
    );
    this.name = 'RedisServerNotFoundError';
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not allocate a port'));
      });
    });
  });
}

export interface SpawnRedisOptions {
  port?: number;
  dir?: string;
  /** AOF with `appendfsync everysec`, as production runs it. Default true. */
  appendOnly?: boolean;
  extraArgs?: readonly string[];
  binary?: string;
}

/**
 * Starts `redis-server` on a free loopback port with its own data directory, and waits until it answers.
 * Used by the embedded start when no Redis is reachable, and by the test harness when there is no container runtime.
 */
export async function spawnRedisServer(options: SpawnRedisOptions = {}): Promise<SpawnedRedis> {
  const port = options.port ?? (await freePort());
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'resetpc-redis-'));
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--save', '',
    '--appendonly', options.appendOnly === false ? 'no' : 'yes',
    '--appendfsync', 'everysec',
    '--maxmemory-policy', 'noeviction',
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(options.binary ?? 'redis-server', args, { stdio: 'ignore' });
  const spawnError = await new Promise<Error | undefined>((resolve) => {
    child.once('error', resolve);
    child.once('spawn', () => {
      resolve(undefined);
    });
  });
  if (spawnError !== undefined) {
    if (ownDir) rmSync(dir, { recursive: true, force: true });
    if ((spawnError as NodeJS.ErrnoException).code === 'ENOENT') throw new RedisServerNotFoundError();
    throw spawnError;
  }
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers(url, 500))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not start on port ${port}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  };
  return { url, port, dir, process: child, stop };
}
