import type { Redis } from 'ioredis';
import { REQUEST_STATES, isFinal } from '../../src/domain/request';
import type { Log } from '../../src/logging/logger';
import { enqueueReset, type Queues } from '../../src/queue/queues';
import type { StoreKeys } from '../../src/store/keys';

/** How often each worker process looks for active requests without a job. */
export const REQUEUE_INTERVAL_MS = 5 * 60_000;
/** A request changed more recently than this is left alone: whoever changed it may be about to queue its job. */
export const REQUEUE_GRACE_MS = 2 * 60_000;
/** At most this many requests per state are looked at in one pass. */
const PER_STATE = 5_000;

const ACTIVE_STATES = REQUEST_STATES.filter((state) => !isFinal(state));

export interface RequeueDeps {
  readonly redis: Redis;
  readonly keys: StoreKeys;
  readonly queues: Queues;
  readonly log: Log;
  readonly now: () => number;
}

/**
 * Queues the job again of every active request that has none: the step machine runs only in a job, so such a request
 * would wait forever and hold its device. It happens when a process stops between an operator's retry moving the
 * request and queueing its job, or when both that and putting it back failed (runbook: "A request active with no job").
 * The job id is the request id, so a job queued meanwhile by anyone else is not queued twice; a request changed within
 * REQUEUE_GRACE_MS is left for the next pass. Returns the ids it queued.
 */
export async function requeueJobless(deps: RequeueDeps): Promise<string[]> {
  const queued: string[] = [];
  for (const state of ACTIVE_STATES) {
    const ids = await deps.redis.zrange(deps.keys.byState(state), 0, PER_STATE - 1);
    if (ids.length === 0) continue;
    const present = await Promise.all(ids.map((id) => deps.redis.exists(deps.queues.reset.toKey(id))));
    for (const [i, id] of ids.entries()) {
      if (present[i] === 1) continue;
      const [current, updatedAt] = await deps.redis.hmget(deps.keys.request(id), 'state', 'updatedAt');
      if (current !== state) continue; // moved on since the index was read
      const changed = Date.parse(updatedAt ?? '');
      if (Number.isFinite(changed) && deps.now() - changed < REQUEUE_GRACE_MS) continue;
      await enqueueReset(deps.queues, { requestId: id });
      deps.log.warn({ requestId: id, state }, 'an active request had no reset job; it was queued again');
      queued.push(id);
    }
  }
  return queued;
}

/** Runs requeueJobless every REQUEUE_INTERVAL_MS (the first pass one interval after start) until stopped. */
export function startRequeue(deps: RequeueDeps, intervalMs = REQUEUE_INTERVAL_MS): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    requeueJobless(deps)
      .catch((err: unknown) => {
        deps.log.warn({ err }, 'looking for active requests without a job failed; the next pass tries again');
      })
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
    },
  };
}
