import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { catalog, notifyJobId, parsePayload, type JobPayload } from './catalog';

export interface Queues {
  readonly reset: Queue;
  readonly notify: Queue;
  close(): Promise<void>;
}

/** Producer-side queues. `prefix` must be a hash tag (`{resetpc}`) so Redis Cluster keeps each queue in one slot. */
export function createQueues(connection: Redis, prefix: string): Queues {
  const reset = new Queue(catalog.reset.queue, { connection, prefix, defaultJobOptions: catalog.reset.options });
  const notify = new Queue(catalog.notify.queue, { connection, prefix, defaultJobOptions: catalog.notify.options });
  for (const q of [reset, notify]) q.on('error', () => undefined);
  return {
    reset,
    notify,
    async close() {
      await Promise.all([reset.close(), notify.close()]);
    },
  };
}

export async function enqueueReset(queues: Queues, payload: JobPayload<'reset'>): Promise<void> {
  const data = parsePayload('reset', payload);
  await queues.reset.add(catalog.reset.name, data, { jobId: data.requestId });
}

/** True when the job is gone (or never was); false when a worker holds its lock, and BullMQ left it (`Queue.remove` → 0). */
export async function removeResetJob(queues: Queues, requestId: string): Promise<boolean> {
  return (await queues.reset.remove(requestId)) === 1;
}

export type NotifyChannel = JobPayload<'notify'>['channel'];

/**
 * Queues an event's notifications, one job per channel (the ticket, when there is one, and email), each with a
 * deterministic id: the outbox. A re-run never queues one twice. `channels`: the channels configured for the event
 * (default both); a channel that is off gets no job. `attempt`: the request's attempt, so a retried request's outcome
 * is announced again.
 */
export async function enqueueEventNotifications(
  queues: Queues,
  request: { readonly id: string; readonly ticket?: unknown },
  event: JobPayload<'notify'>['event'],
  channels: readonly NotifyChannel[] = ['ticket', 'email'],
  attempt = 1,
): Promise<void> {
  for (const channel of channels) {
    if (channel === 'ticket' && request.ticket === undefined) continue;
    await enqueueNotification(queues, { requestId: request.id, event, channel, ...(attempt > 1 ? { attempt } : {}) });
  }
}

export async function enqueueNotification(queues: Queues, payload: JobPayload<'notify'>): Promise<void> {
  const data = parsePayload('notify', payload);
  await queues.notify.add(catalog.notify.name, data, { jobId: notifyJobId(data) });
}

/** Runs a waiting (delayed) reset job now: an approval was given, or its ticket changed. Best effort. */
export async function wakeJob(queues: Queues, requestId: string): Promise<void> {
  try {
    const job = await queues.reset.getJob(requestId);
    if (job !== undefined && (await job.isDelayed())) await job.promote();
  } catch {
    // The job moved on by itself meanwhile: nothing to wake.
  }
}
