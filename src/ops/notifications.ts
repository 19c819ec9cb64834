import type { Job } from 'bullmq';
import { NOTIFY_EVENTS } from '../queue/catalog';
import type { Queues } from '../queue/queues';

/**
 * Notification delivery as the dashboard shows it, read straight from the BullMQ notify queue (the outbox): one job
 * per (request, event, channel) with a deterministic id. This is the only module that knows that; when the notify
 * worker offers its own read API, swap this file and nothing else.
 */
export type DeliveryStatus = 'delivered' | 'pending' | 'retrying' | 'undeliverable';

export interface NotificationView {
  readonly jobId: string;
  readonly requestId: string;
  readonly event: string;
  readonly channel: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly lastError?: string;
  readonly queuedAt: number;
  readonly finishedAt?: number;
}

const CHANNELS = ['ticket', 'email'] as const;
/** `${requestId}|${event}|${channel}`, with an optional `|system|key` for a linked ticket and `|a<n>` for a retried request. */
const JOB_ID = /^[0-9a-f-]{36}\|[a-z_]{1,40}\|(ticket|email)(\|(servicenow|jira)\|[A-Za-z0-9_.-]{1,64})?(\|a\d{1,5})?$/;

export function isNotificationJobId(id: string): boolean {
  return JOB_ID.test(id);
}

/** A job's delivery status from its BullMQ state (completed: delivered; failed: every attempt failed). */
async function view(job: Job): Promise<NotificationView | undefined> {
  if (job.id === undefined) return undefined;
  const [requestId = '', event = '', channel = ''] = job.id.split('|');
  const state = await job.getState();
  const status: DeliveryStatus = state === 'completed' ? 'delivered' : state === 'failed' ? 'undeliverable' : job.attemptsMade > 0 ? 'retrying' : 'pending';
  // Typed as a string, but unset until an attempt fails.
  const lastError = (job as { failedReason?: string }).failedReason;
  return {
    jobId: job.id,
    requestId,
    event,
    channel,
    status,
    attempts: job.attemptsMade,
    maxAttempts: job.opts.attempts ?? 1,
    ...(status !== 'delivered' && lastError !== undefined && lastError !== '' ? { lastError: lastError.slice(0, 300) } : {}),
    queuedAt: job.timestamp,
    ...(job.finishedOn === undefined ? {} : { finishedAt: job.finishedOn }),
  };
}

const present = (v: NotificationView | undefined): v is NotificationView => v !== undefined;

export function createNotificationReader(queues: Queues) {
  return {
    /** Every notification of a request still held by the queue (completed jobs are kept 7 days, failed 30). */
    async forRequest(requestId: string): Promise<NotificationView[]> {
      const ids = NOTIFY_EVENTS.flatMap((event) => CHANNELS.map((channel) => `${requestId}|${event}|${channel}`));
      const jobs = await Promise.all(ids.map((id) => queues.notify.getJob(id)));
      const views = await Promise.all(jobs.filter((j): j is Job => j !== undefined).map(view));
      return views.filter(present).sort((a, b) => a.queuedAt - b.queuedAt);
    },

    /** Notifications that failed every attempt, newest first. */
    async undeliverable(limit: number): Promise<{ count: number; items: NotificationView[] }> {
      const [count, jobs] = await Promise.all([queues.notify.getFailedCount(), queues.notify.getFailed(0, limit - 1)]);
      return { count, items: (await Promise.all(jobs.map(view))).filter(present) };
    },

    /** Sends a failed notification again (a fresh set of attempts). */
    async retry(jobId: string): Promise<'retried' | 'not_failed' | 'not_found'> {
      if (!isNotificationJobId(jobId)) return 'not_found';
      const job = await queues.notify.getJob(jobId);
      if (job === undefined) return 'not_found';
      if ((await job.getState()) !== 'failed') return 'not_failed';
      await job.retry('failed');
      return 'retried';
    },
  };
}

export type NotificationReader = ReturnType<typeof createNotificationReader>;
