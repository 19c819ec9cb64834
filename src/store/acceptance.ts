import { Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AcceptAnswer, RequestAcceptance } from '../app/ports';
import type { ResetRequest, TimelineEntry } from '../domain/request';
import { isProgrammingError } from '../domain/programming-error';
import { catalog, parsePayload } from '../queue/catalog';
import { StoreUnavailableError } from './errors';
import type { Acceptance, RequestStore } from './requests';

/**
 * A new request and its reset job, written in one round trip (ADR 003, amended by issue 12). BullMQ's add of the job
 * (job id = request id, the catalog's options, as `Queue.add` adds it) and the accept script are sent one after the
 * other on the one producer connection, in the same auto-pipelined write. Redis runs a connection's commands in order,
 * so the script sees the add done (or failed), and it stores the request only if the job is there and the ticket and
 * device locks are free. A request is never stored without its job; a job without a request is removed by the caller,
 * or discarded by the worker once its grace period is over.
 *
 * Both commands leave when they are called (`Job.addJob` and the script issue theirs before their first `await`). Should
 * the script ever run first, it finds no job and stores nothing; it is then sent again once the add has answered.
 */
export function createRequestAcceptance(deps: { readonly redis: Redis; readonly store: RequestStore; readonly queue: Queue }): RequestAcceptance {
  const { redis, store, queue } = deps;
  return {
    async accept(request: ResetRequest, first: TimelineEntry): Promise<AcceptAnswer> {
      // With the connection down nothing is sent (the producer connection has no offline queue): nothing to undo.
      if (redis.status !== 'ready') return { kind: 'not_stored', jobMayExist: false, cause: new Error(`the Redis connection is ${redis.status}`) };
      let client;
      try {
        client = await queue.getBackend().client;
      } catch (err) {
        // BullMQ's view of the connection is not ready (or is closing): nothing was sent.
        return { kind: 'not_stored', jobMayExist: false, cause: err };
      }
      const job = new Job(queue, catalog.reset.name, parsePayload('reset', { requestId: request.id }), { ...catalog.reset.options, jobId: request.id }, request.id);
      const jobKey = queue.toKey(request.id);
      const [added, stored] = await Promise.allSettled([job.addJob(client), store.accept(request, first, jobKey)]);
      const addRefused = added.status === 'rejected' && repliedWithError(added.reason);
      let outcome: Acceptance;
      if (stored.status === 'fulfilled') outcome = stored.value;
      else return failure(stored.reason, !addRefused);
      if (outcome.kind === 'no_job' && added.status === 'fulfilled') {
        // The script ran before the add (or the job had finished): once more, now that the add has answered.
        try {
          outcome = await store.accept(request, first, jobKey);
        } catch (err) {
          return failure(err, true);
        }
      }
      if (outcome.kind !== 'no_job') return outcome;
      return { kind: 'not_stored', jobMayExist: !addRefused, cause: added.status === 'rejected' ? added.reason : new Error('the reset job was not there to store the request with') };
    },
  };
}

/**
 * The accept script failed: refused by Redis (nothing stored), or unanswered (the request may have been stored). A bug
 * of our own is neither: it is thrown on (a 500 at the edge; a job left without its request is discarded by the worker).
 */
function failure(err: unknown, jobMayExist: boolean): AcceptAnswer {
  if (isProgrammingError(err)) throw err;
  const cause = err instanceof StoreUnavailableError ? err.cause : err;
  return repliedWithError(cause) ? { kind: 'not_stored', jobMayExist, cause } : { kind: 'unanswered', cause };
}

/**
 * Redis answered the command with an error (ioredis' ReplyError: a script or permission error, raised before any
 * write): the command was refused, not lost.
 */
function repliedWithError(err: unknown): boolean {
  return err instanceof Error && err.name === 'ReplyError';
}
