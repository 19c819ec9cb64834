import { UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { NO_METRICS, type MetricsRecorder } from '../../src/metrics/recorder';
import { catalog } from '../../src/queue/catalog';
import type { NotifyDeps } from './deps';
import { createNotifyProcessor, notifyBackoff } from './processor';

export interface NotifyWorkerOptions {
  /** A worker connection: `createRedis(url, 'worker')`. */
  readonly connection: Redis;
  readonly prefix: string;
  readonly concurrency: number;
  readonly lockDuration: number;
  /** Failed attempts, for GET /metrics. Default: none recorded. */
  readonly metrics?: MetricsRecorder;
}

/** The `notify` queue's BullMQ worker: the outbox's consumer. Safe in many processes: every step is guarded. */
export function createNotifyWorker(deps: NotifyDeps, options: NotifyWorkerOptions): Worker {
  const worker = new Worker(catalog.notify.queue, createNotifyProcessor(deps), {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    lockDuration: options.lockDuration,
    stalledInterval: Math.max(500, Math.round(options.lockDuration / 2)),
    // A stalled delivery is taken over: its delivered steps are in the ledger, so it never posts twice.
    maxStalledCount: 100,
    settings: { backoffStrategy: notifyBackoff(deps.settings.backoff) },
    autorun: true,
  });
  const metrics = options.metrics ?? NO_METRICS;
  worker.on('failed', (job, err) => {
    if (job === undefined) return;
    const payload = catalog.notify.payload.safeParse(job.data);
    if (!payload.success) return;
    const final = err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
    metrics.notificationFailed(payload.data.channel, payload.data.event, final);
  });
  worker.on('error', (err) => {
    deps.log.error({ err: { message: err.message } }, 'notify worker error');
  });
  return worker;
}
