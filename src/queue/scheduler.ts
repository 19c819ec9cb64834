import type { JobScheduler } from '../app/ports';
import { StoreUnavailableError, storeCall } from '../store/errors';
import { InvalidJobPayloadError } from './catalog';
import { enqueueEventNotifications, enqueueNotification, enqueueReset, removeResetJob, wakeJob, type Queues } from './queues';

/**
 * storeCall for a queue operation: a payload the catalog refuses is our own mistake, passed on as it is (a 500 and
 * an error log at the edge), not Redis being unavailable (a 503 that invites a retry failing the same way).
 */
async function queueCall<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await storeCall(op);
  } catch (err) {
    if (err instanceof StoreUnavailableError && err.cause instanceof InvalidJobPayloadError) throw err.cause;
    throw err;
  }
}

/**
 * The application layer's job scheduler (src/app/ports.ts) on the BullMQ queues. The queues live in the same Redis
 * as the store, so a failure to reach it is the store's StoreUnavailableError (503 with Retry-After at the edge), not a
 * bare BullMQ error answered as a 500.
 */
export function createJobScheduler(queues: Queues): JobScheduler {
  return {
    scheduleReset: (requestId) => queueCall(() => enqueueReset(queues, { requestId })),
    removeReset: (requestId) => queueCall(() => removeResetJob(queues, requestId)),
    wake: (requestId) => queueCall(() => wakeJob(queues, requestId)),
    notifyEvent: (request, event, channels) => queueCall(() => enqueueEventNotifications(queues, request, event, channels)),
    notifyLinkedTicket: (requestId, ticket) =>
      queueCall(() => enqueueNotification(queues, { requestId, event: 'linked_to_active_request', channel: 'ticket', ticket: { system: ticket.system, key: ticket.key } })),
  };
}
