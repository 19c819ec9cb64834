import type { JobScheduler } from '../app/ports';
import { enqueueEventNotifications, enqueueNotification, enqueueReset, removeResetJob, wakeJob, type Queues } from './queues';

/** The application layer's job scheduler (src/app/ports.ts) on the BullMQ queues. */
export function createJobScheduler(queues: Queues): JobScheduler {
  return {
    scheduleReset: (requestId) => enqueueReset(queues, { requestId }),
    removeReset: (requestId) => removeResetJob(queues, requestId),
    wake: (requestId) => wakeJob(queues, requestId),
    notifyEvent: (request, event, channels) => enqueueEventNotifications(queues, request, event, channels),
    notifyLinkedTicket: (requestId, ticket) =>
      enqueueNotification(queues, { requestId, event: 'linked_to_active_request', channel: 'ticket', ticket: { system: ticket.system, key: ticket.key } }),
  };
}
