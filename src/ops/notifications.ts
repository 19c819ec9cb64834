import type { Notification, NotificationActions, NotificationTarget } from '../app/notifications';
import type { DeliveryState } from '../notify/ledger';
import { catalog } from '../queue/catalog';
import type { Queues } from '../queue/queues';

/**
 * Notification delivery as the dashboard shows it: the same notifications, states and retry as the API's
 * /v1/resets/{id}/notifications (src/app/notifications.ts). A notification is addressed by its target (request,
 * event, channel, linked ticket, request attempt), never by a queue job id.
 */
export interface NotificationView {
  readonly target: NotificationTarget;
  readonly event: string;
  /** The channel, and the request attempt it announces from the second on. */
  readonly channel: string;
  readonly state: DeliveryState;
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly lastError?: string;
  readonly queuedAt: number;
  readonly finishedAt?: number;
}

/** The notify job's attempts before it is undeliverable (src/queue/catalog.ts). */
const MAX_ATTEMPTS = catalog.notify.options.attempts;

function view(d: Notification): NotificationView {
  const lastError = d.state === 'delivered' ? undefined : (d.lastError?.message ?? d.skippedReason);
  const finishedAt = Date.parse(d.deliveredAt ?? '');
  const { requestId, event, channel, ticket, requestAttempt } = d;
  return {
    target: { requestId, event, channel, ...(ticket === undefined ? {} : { ticket }), ...(requestAttempt === undefined ? {} : { requestAttempt }) },
    event,
    channel: requestAttempt === undefined ? channel : `${channel} (attempt ${String(requestAttempt)})`,
    state: d.state,
    attempts: d.attempts,
    maxAttempts: MAX_ATTEMPTS,
    ...(lastError === undefined ? {} : { lastError: lastError.slice(0, 300) }),
    queuedAt: Date.parse(d.updatedAt ?? '') || 0,
    ...(Number.isFinite(finishedAt) ? { finishedAt } : {}),
  };
}

export function createNotificationReader(queues: Queues, notifications: NotificationActions) {
  return {
    /** Every notification of the request: recorded ones, linked tickets' notes and every attempt's, and queued ones. */
    async forRequest(requestId: string): Promise<NotificationView[]> {
      return (await notifications.list(requestId)).map(view).sort((a, b) => a.queuedAt - b.queuedAt);
    },

    /** Notifications that will not be tried again by themselves, newest first. */
    async undeliverable(limit: number): Promise<{ count: number; items: NotificationView[] }> {
      const [count, items] = await Promise.all([queues.notify.getFailedCount(), notifications.undeliverable(limit)]);
      return { count, items: items.map(view) };
    },

    /** An operator's retry (src/app/notifications.ts); a refusal is an AppError, shown on the request's page. */
    async retry(target: NotificationTarget, actor: string): Promise<void> {
      await notifications.retry(target, actor);
    },
  };
}

export type NotificationReader = ReturnType<typeof createNotificationReader>;
