import { DeliveryActionError, type DeliveryView, type NotificationDeliveries } from '../notify/deliveries';
import type { DeliveryTarget } from '../notify/ledger';
import { NOTIFY_EVENTS, catalog } from '../queue/catalog';
import type { Queues } from '../queue/queues';

/**
 * Notification delivery as the dashboard shows it, from the notify worker's delivery ledger and the notify queue
 * (src/notify/deliveries.ts): the same view and the same retry as the API's /v1/resets/{id}/notifications.
 */
export type DeliveryStatus = 'delivered' | 'skipped' | 'pending' | 'retrying' | 'undeliverable';

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

/** The notify job's attempts before it is undeliverable (src/queue/catalog.ts). */
const MAX_ATTEMPTS = catalog.notify.options.attempts;

/** `${requestId}|${event}|${channel}`, with an optional `|system|key` for a linked ticket and `|a<n>` for a retried request. */
const JOB_ID = /^([0-9a-f-]{36})\|([a-z_]{1,40})\|(ticket|email)(?:\|(servicenow|jira)\|([A-Za-z0-9_.-]{1,64}))?(?:\|a(\d{1,5}))?$/;

export function isNotificationJobId(id: string): boolean {
  return JOB_ID.test(id);
}

/** The notification a job id names, or undefined when it is not one. */
export function targetOfJobId(id: string): DeliveryTarget | undefined {
  const m = JOB_ID.exec(id);
  const [, requestId, event, channel, system, key, attempt] = m ?? [];
  if (requestId === undefined || event === undefined || (channel !== 'ticket' && channel !== 'email')) return undefined;
  if (!(NOTIFY_EVENTS as readonly string[]).includes(event)) return undefined;
  return {
    requestId,
    event: event as DeliveryTarget['event'],
    channel,
    ...(system === 'servicenow' || system === 'jira' ? { ticket: { system, key: key ?? '' } } : {}),
    ...(attempt === undefined ? {} : { requestAttempt: Number(attempt) }),
  };
}

const STATUS: Readonly<Record<DeliveryView['state'], DeliveryStatus>> = {
  pending: 'pending',
  delivering: 'pending',
  retrying: 'retrying',
  delivered: 'delivered',
  skipped: 'skipped',
  undeliverable: 'undeliverable',
};

/** A delivery as the dashboard shows it: the notify ledger's record (src/notify/deliveries.ts). */
function view(d: DeliveryView): NotificationView {
  const lastError = d.state === 'delivered' ? undefined : (d.lastError?.message ?? d.skippedReason);
  const finishedAt = Date.parse(d.deliveredAt ?? '');
  return {
    jobId: d.id,
    requestId: d.requestId,
    event: d.event,
    channel: d.requestAttempt === undefined ? d.channel : `${d.channel} (attempt ${String(d.requestAttempt)})`,
    status: STATUS[d.state],
    attempts: d.attempts,
    maxAttempts: MAX_ATTEMPTS,
    ...(lastError === undefined ? {} : { lastError: lastError.slice(0, 300) }),
    queuedAt: Date.parse(d.updatedAt ?? '') || 0,
    ...(Number.isFinite(finishedAt) ? { finishedAt } : {}),
  };
}

export function createNotificationReader(queues: Queues, deliveries: NotificationDeliveries) {
  return {
    /** Every notification of the request: recorded ones, linked tickets' notes and every attempt's, and queued ones. */
    async forRequest(requestId: string): Promise<NotificationView[]> {
      return (await deliveries.list(requestId)).map(view).sort((a, b) => a.queuedAt - b.queuedAt);
    },

    /** Notifications that will not be tried again by themselves, newest first. */
    async undeliverable(limit: number): Promise<{ count: number; items: NotificationView[] }> {
      const [count, items] = await Promise.all([queues.notify.getFailedCount(), deliveries.undeliverable(limit)]);
      return { count, items: items.map(view) };
    },

    /**
     * Sends an undeliverable notification again with a fresh set of attempts (steps already delivered are not
     * repeated), and records it in the request's timeline (src/notify/deliveries.ts).
     */
    async retry(jobId: string, actor: string): Promise<'retried' | 'not_failed' | 'not_found'> {
      const target = targetOfJobId(jobId);
      if (target === undefined) return 'not_found';
      try {
        await deliveries.retry(target, actor);
        return 'retried';
      } catch (err) {
        if (err instanceof DeliveryActionError) return err.status === 404 ? 'not_found' : 'not_failed';
        throw err;
      }
    },
  };
}

export type NotificationReader = ReturnType<typeof createNotificationReader>;
