import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { catalog } from '../../src/queue/catalog';
import type { ResetDeps } from './deps';
import { createResetProcessor, failExhausted } from './processor';

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
    // The step machine is safe to re-run (every side effect is guarded), so a job whose worker died is always taken
    // over. BullMQ's default (1) would fail the job on a second crash, without running the processor: the request
    // would stay in a non-final state, holding its device lock.
    maxStalledCount: 1_000,
    stalledInterval: Math.max(500, Math.round(options.lockDuration / 2)),
    autorun: true,
  });
  worker.on('failed', (job, err) => {
    const requestId = (job?.data as { requestId?: string } | undefined)?.requestId;
    if (job === undefined || requestId === undefined) return;
    void job.isFailed().then(async (final) => {
      if (!final) {
        deps.log.warn({ requestId, err: { message: err.message }, attemptsMade: job.attemptsMade }, 'reset step failed; it will be retried');
        return;
      }
      // The job will not run again: mark the request failed rather than leave it stuck (and holding its locks).
      deps.log.error({ requestId, err: { message: err.message } }, 'reset job failed for good');
      await failExhausted(deps, requestId, err);
    }).catch((cause: unknown) => {
      deps.log.error({ requestId, err: cause }, 'could not record the failure of a reset job');
    });
  });
  worker.on('error', (err) => {
    deps.log.error({ err: { message: err.message } }, 'reset worker error');
  });
  return worker;
}
