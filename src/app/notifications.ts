import type { DeliveryView } from '../notify/deliveries';
import type { DeliveryTarget } from '../notify/ledger';
import { notFound } from './errors';
import type { RequestRepository } from './ports';

/**
 * A notification is addressed the same way everywhere: by its request, event and channel, plus the linked ticket for
 * a note to a linked ticket and the request attempt it announces from the second on (`NotificationTarget`). Its
 * delivery state has one vocabulary, the ledger's: pending, delivering, retrying, delivered, skipped, undeliverable.
 */
export type NotificationTarget = DeliveryTarget;
export type Notification = DeliveryView;

/** The notify worker's ledger and queue, as the use cases need them (src/notify/deliveries.ts). */
export interface NotificationLedger {
  list(requestId: string): Promise<Notification[]>;
  undeliverable(limit?: number): Promise<Notification[]>;
  /** Refuses with an AppError: not_found (no such notification), conflict (delivered, or being delivered now). */
  retry(target: NotificationTarget, actor: string): Promise<Notification>;
}

/** A request's notifications, the undeliverable ones, and an operator's retry of one: for the API and the dashboard. */
export function createNotificationActions(deps: { readonly ledger: NotificationLedger; readonly requests: Pick<RequestRepository, 'getCurrent'> }) {
  return {
    async list(requestId: string): Promise<Notification[]> {
      if ((await deps.requests.getCurrent(requestId)) === undefined) throw notFound(`No request with id ${requestId}`);
      return deps.ledger.list(requestId);
    },

    undeliverable(limit: number): Promise<Notification[]> {
      return deps.ledger.undeliverable(limit);
    },

    /**
     * Runs an undeliverable (or waiting) notification again with fresh attempts; steps already delivered are not
     * repeated. Recorded in the request's timeline with `actor`.
     */
    retry(target: NotificationTarget, actor: string): Promise<Notification> {
      return deps.ledger.retry(target, actor);
    },
  };
}

export type NotificationActions = ReturnType<typeof createNotificationActions>;
