import type { JobScheduler } from '../app/ports';
import { storeCall } from '../store/errors';
import { enqueueEventNotifications, enqueueNotification, enqueueReset, removeResetJob, wakeJob, type Queues } from './queues';

/**
 * The application layer's job scheduler (src/app/ports.ts) on the BullMQ queues. The queues live in the same Redis
 * as the store, so a failure to reach it is the store's StoreUnavailableError (503 with Retry-After at the edge), not a
 * bare BullMQ error answered as a 500.
 */
export function createJobScheduler(queues: Queues): JobScheduler {
  return {
    scheduleReset: (requestId) => storeCall(() => enqueueReset(queues, { requestId })),
    removeReset: (requestId) => storeCall(() => removeResetJob(queues, requestId)),
    wake: (requestId) => storeCall(() => wakeJob(queues, requestId)),
    notifyEvent: (request, event, channels) => storeCall(() => enqueueEventNotifications(queues, request, event, channels)),
    notifyLinkedTicket: (requestId, ticket) =>
      storeCall(() => enqueueNotification(queues, { requestId, event: 'linked_to_active_request', channel: 'ticket', ticket: { system: ticket.system, key: ticket.key } })),
  };
}
