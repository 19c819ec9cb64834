import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { catalog } from '../../src/queue/catalog';
import type { ResetDeps } from './deps';
import { createResetProcessor } from './processor';

export interface ResetWorkerOptions {
  /** A worker connection: `createRedis(url, 'worker')` (blocking commands, no request retries limit). */
  readonly connection: Redis;
  readonly prefix: string;
  readonly concurrency: number;
  /** A worker that dies holding a job releases it after this long (BullMQ's stalled-job check). */
  readonly lockDuration: number;
}

/** The `reset` queue's BullMQ worker. Safe to run in as many processes as you like: every side effect is guarded. */
export function createResetWorker(deps: ResetDeps, options: ResetWorkerOptions): Worker {
  const worker = new Worker(catalog.reset.queue, createResetProcessor(deps), {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    lockDuration: options.lockDuration,
    stalledInterval: Math.max(500, Math.round(options.lockDuration / 2)),
    autorun: true,
  });
  worker.on('failed', (job, err) => {
    deps.log.warn({ requestId: (job?.data as { requestId?: string } | undefined)?.requestId, err: { message: err.message } }, 'reset step failed; it will be retried');
  });
  worker.on('error', (err) => {
    deps.log.error({ err: { message: err.message } }, 'reset worker error');
  });
  return worker;
}
