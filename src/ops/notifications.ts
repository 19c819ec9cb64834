import { DeliveryActionError, type DeliveryView, type NotificationDeliveries } from '../notify/deliveries';
import type { DeliveryTarget } from '../notify/ledger';
import { catalog, parseNotifyJobId } from '../queue/catalog';
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

/** The notification a job id names (src/queue/catalog.ts), as a delivery target; undefined when it is not one. */
function targetOfJobId(id: string): DeliveryTarget | undefined {
  const payload = parseNotifyJobId(id);
  if (payload === undefined) return undefined;
  const { requestId, event, channel, ticket, attempt } = payload;
  return { requestId, event, channel, ...(ticket === undefined ? {} : { ticket }), ...(attempt === undefined ? {} : { requestAttempt: attempt }) };
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
