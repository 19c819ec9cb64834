import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Queue } from 'bullmq';
import type { Sandbox } from '@resetpc/sandbox';
import { waitFor } from './env';
import { labelledOutput, spawnProductProcess, stopProcesses, type ProductProcess } from './product-process';

/** The production worker entry point, as `npm run worker` runs it. `npm run build` must have run first. */
const WORKER_MAIN = resolve(__dirname, '../../dist/workers/main.js');

/** One real worker process (`node dist/workers/main.js`). */
export type WorkerProcess = ProductProcess;

export interface WorkerFleetOptions {
  readonly sandbox: Sandbox;
  readonly redisUrl: string;
  readonly prefix: string;
  /** The intake's `reset` queue: start() waits until each new process is registered as a BullMQ worker on it. */
  readonly resetQueue: Queue;
  /** Configuration on top of the defaults below (any variable of docs/configuration.md). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Worker processes against an in-test sandbox and the test Redis, to start, SIGKILL, replace and stop. */
export interface WorkerFleet {
  /** Every process ever started, in order. */
  readonly all: readonly WorkerProcess[];
  /** The processes still running. */
  running(): WorkerProcess[];
  /** Starts `n` processes and waits until each has registered its BullMQ worker. */
  start(n?: number): Promise<WorkerProcess[]>;
  /** kill -9: no shutdown hook runs, the job locks it holds lapse after WORKER_LOCK_MS. Resolves once it is gone. */
  kill(worker: WorkerProcess): Promise<void>;
  /** SIGKILLs `worker` (when still running) and starts its replacement. */
  restart(worker: WorkerProcess): Promise<WorkerProcess>;
  /** How many processes were SIGKILLed. */
  readonly kills: number;
  /** Every process's output, labelled, for a failure message. */
  output(): string;
  /** SIGTERM to every running process (graceful shutdown), awaits each exit; then removes the temporary CA file. */
  stop(): Promise<void>;
}

/** Fast but realistic: a dead worker's job is taken over within ~2 s; polls start at 100 ms. */
const DEFAULTS: Readonly<Record<string, string>> = {
  LOG_LEVEL: 'warn',
  WORKER_LOCK_MS: '2000',
  WORKER_CONCURRENCY: '10',
  WORKER_HEALTH_PORT: '0',
  APPROVAL_REQUIRED: 'false',
  ACTION_POLL_BASE_MS: '100',
  SUBMIT_SETTLE_SECONDS: '2',
  BLAST_RADIUS_PER_HOUR: '10000',
};

export function createWorkerFleet(options: WorkerFleetOptions): WorkerFleet {
  const dir = mkdtempSync(join(tmpdir(), 'resetpc-worker-'));
  const caFile = join(dir, 'sandbox-ca.pem');
  writeFileSync(caFile, options.sandbox.caPem);
  const { sandbox } = options;
  const env: Record<string, string> = {
    // Only what a worker needs: nothing from the test runner's environment leaks in (no REDIS_URL, no .env: cwd is `dir`).
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    ...DEFAULTS,
    REDIS_URL: options.redisUrl,
    REDIS_PREFIX: options.prefix,
    AZURE_TENANT_ID: sandbox.tenantId,
    AZURE_CLIENT_ID: sandbox.clientId,
    AZURE_CLIENT_SECRET: sandbox.clientSecret,
    AZURE_AUTHORITY_HOST: sandbox.urls.authorityHost,
    GRAPH_BASE_URL: sandbox.urls.graphBaseUrl,
    GRAPH_EXTRA_CA_FILE: caFile,
    ...options.env,
  };
  const all: WorkerProcess[] = [];
  let kills = 0;

  const registered = async (): Promise<number> => (await options.resetQueue.getWorkers()).length;

  function launch(): WorkerProcess {
    const worker = spawnProductProcess(`w${String(all.length + 1)}`, WORKER_MAIN, dir, env);
    all.push(worker);
    return worker;
  }

  const fleet: WorkerFleet = {
    all,
    running: () => all.filter((w) => w.running),
    get kills() {
      return kills;
    },
    async start(n = 1) {
      const started = Array.from({ length: n }, launch);
      const wanted = fleet.running().length;
      // Generous: on a loaded 2-core machine a Node process can take many seconds to boot and connect.
      try {
        await waitFor(async () => {
          const dead = started.find((w) => !w.running);
          if (dead !== undefined) throw new Error(`worker ${dead.name} exited at start`);
          return (await registered()) >= wanted;
        }, 60_000, `${String(wanted)} worker processes to register on the reset queue`);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${fleet.output()}`, { cause: err });
      }
      return started;
    },
    async kill(worker) {
      if (!worker.running) return;
      worker.child.kill('SIGKILL');
      await worker.exited;
      kills += 1;
    },
    async restart(worker) {
      await fleet.kill(worker);
      const [replacement] = await fleet.start(1);
      if (replacement === undefined) throw new Error('no replacement worker started');
      return replacement;
    },
    output: () => labelledOutput(all),
    async stop() {
      await stopProcesses(all);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fleet;
}
