import type { Redis } from 'ioredis';
import { REQUEST_STATES, isFinal, type RequestState } from '../../src/domain/request';
import type { StoreKeys } from '../../src/store/keys';
import { StoredDataError, storedDataLogFields } from '../../src/store/errors';
import { runPeriodically } from '../../src/process/periodic';
import { ACTOR } from './deps';
import { announce, type OutcomeDeps } from './outcome';

/** How often each worker process looks for active requests without a live job. */
export const JOBLESS_INTERVAL_MS = 5 * 60_000;
/** A request changed more recently than this is left alone: whoever changed it may be about to queue its job. */
export const JOBLESS_GRACE_MS = 2 * 60_000;
/** Requests read from a state index per page. */
const PAGE = 1_000;

const ACTIVE_STATES = REQUEST_STATES.filter((state) => !isFinal(state));

/** Whether the reset may have been sent in this state: the reason then says to look at the device first. */
const MAY_HAVE_SENT: ReadonlySet<RequestState> = new Set<RequestState>(['submitting', 'awaiting_device']);

/** What the log says of an error: a record this version cannot read by its key and version only, never its content. */
const errorFields = (err: unknown): object => (err instanceof StoredDataError ? storedDataLogFields(err) : { err });

/** Where the state indexes are read: the store's connection and keys. */
export interface JoblessIndex {
  readonly redis: Redis;
  readonly keys: StoreKeys;
}

/**
 * Ends `failed` every active request that has no live reset job (none, or only a finished one) and has not changed for
 * JOBLESS_GRACE_MS: the step machine runs only in a job, so such a request would wait forever and hold its device.
 * It happens when a process stops between an operator's retry moving the request and queueing its job, when a job is
 * removed by hand, or when a job used its last attempt and marking the request failed did not go through either.
 *
 * It never queues the job again: a job brought back without its locks, days later, could reset a device nobody asked
 * about any more. The request ends with a reason that says what to do (retry it), its locks released and its people
 * told, as any failure. The move is conditional on the state and `updatedAt` read, so a request someone moved
 * meanwhile (or ended and retried) is left. A request that cannot be read is logged and passed over. Each request it
 * ends is noted in an outbox until its notifications are queued, so a process that stops in between loses none.
 * Returns the ids it ended.
 */
export async function endJobless(deps: OutcomeDeps, index: JoblessIndex, now: () => number): Promise<string[]> {
  const ended: string[] = [];
  const { redis, keys } = index;
  await announceUnfinished(deps, index);
  for (const state of ACTIVE_STATES) {
    for (let start = 0; ; ) {
      const ids = await redis.zrange(keys.byState(state), start, start + PAGE - 1);
      let endedHere = 0;
      for (const id of ids) {
        // One request that cannot be read or moved is logged and passed over: it never stops the rest of the pass.
        try {
          if (await endIfJobless(deps, index, id, state, now)) {
            ended.push(id);
            endedHere++;
          }
        } catch (err) {
          deps.log.error({ requestId: id, state, ...errorFields(err) }, 'looking at an active request for a live job failed; the next pass looks again');
        }
      }
      if (ids.length < PAGE) break;
      // An ended request left this state's index: the next page starts that many ranks earlier.
      start += PAGE - endedHere;
    }
  }
  return ended;
}

/** Ends one request failed if it has no live job and has not changed within the grace period; whether it did. */
async function endIfJobless(deps: OutcomeDeps, index: JoblessIndex, id: string, state: RequestState, now: () => number): Promise<boolean> {
  const { redis } = index;
  const outbox = index.keys.joblessOutbox;
  // A live job is one BullMQ holds and has not finished (ADR 013: the accept script's own test).
  const [name, finishedOn] = await redis.hmget(deps.queues.reset.toKey(id), 'name', 'finishedOn');
  if (name !== null && finishedOn === null) return false;
  const stored = await deps.store.load(id);
  if (stored === undefined || stored.request.state !== state) return false;
  const changed = Date.parse(stored.request.updatedAt);
  if (!Number.isFinite(changed) || now() - changed < JOBLESS_GRACE_MS) return false;
  const reason = MAY_HAVE_SENT.has(state)
    ? 'its job was lost after the reset may have been sent: check the device in Intune before retrying'
    : 'its job was lost (a process stopped mid-step); nothing was sent to Graph for this attempt: retry it';
  const workflow = { ...stored.workflow, outcomeReason: 'internal_error' as const };
  // Noted first, so that a pass after a crash between the move and its notifications still queues them.
  await redis.sadd(outbox, id);
  // Conditional on the state and the updatedAt read: a request someone moved meanwhile (another process's sweep too),
  // or moved away and back (ended, then retried: a new attempt with its own job), is left as it is.
  if (!(await deps.store.transition(stored.request, 'failed', { actor: ACTOR, reason }, workflow, stored.request.updatedAt))) {
    await redis.srem(outbox, id);
    return false;
  }
  deps.log.warn({ requestId: id, state }, 'an active request had no live reset job; it is marked failed');
  await announce(deps, stored.request, 'failed', workflow);
  await redis.srem(outbox, id);
  return true;
}

/**
 * Queues the notifications of requests a pass noted and may not have finished ending (its process stopped between
 * the move and the notifications). A request found `failed` is announced again (the notification job ids are fixed, so
 * nothing is sent twice); one found in any other state was not moved by that pass, and is only forgotten.
 */
async function announceUnfinished(deps: OutcomeDeps, index: JoblessIndex): Promise<void> {
  const outbox = index.keys.joblessOutbox;
  for (const id of await index.redis.smembers(outbox)) {
    try {
      const stored = await deps.store.load(id);
      if (stored?.request.state === 'failed') await announce(deps, stored.request, 'failed', stored.workflow);
      await index.redis.srem(outbox, id);
    } catch (err) {
      deps.log.error({ requestId: id, ...errorFields(err) }, 'queueing the notifications of a request ended without a job failed; the next pass tries again');
    }
  }
}

/** Runs endJobless every JOBLESS_INTERVAL_MS until stopped; `stop` resolves once a pass in progress has ended. */
export function startJoblessSweep(deps: OutcomeDeps, index: JoblessIndex, intervalMs = JOBLESS_INTERVAL_MS): { stop(): Promise<void> } {
  return runPeriodically(intervalMs, () => endJobless(deps, index, () => Date.now()), (err) => {
    deps.log.warn({ err }, 'looking for active requests without a job failed; the next pass tries again');
  });
}
