import { DelayedError, type Job } from 'bullmq';
import { parsePayload } from '../../src/queue/catalog';
import { GraphBudgetWait, GraphError } from '../../src/graph/errors';
import { JiraError } from '../../src/ticketing/jira';
import { ServiceNowError } from '../../src/ticketing/servicenow';
import { isFinal } from '../../src/domain/request';
import { backoffMs, type BackoffPolicy } from '../../src/remote/backoff';
import type { FailureReason } from '../../src/domain/reasons';
import { TicketingNotConfiguredError } from './approvals';
import { ACTOR, type ResetDeps, type StepResult } from './deps';
import { announce, moveTo } from './outcome';
import { checkApproval, checkEligibility, poll, recheckAndSubmit, submit } from './steps';

/** Transient errors in a row at one step before the request fails (1 s doubling to 5 min: about 34 minutes). */
export const MAX_TRANSIENT_FAILURES = 12;

/** The wait after the n-th transient error in a row: 1 s doubling, up to 5 min, with up to 50 % taken off at random. */
export const TRANSIENT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 5 * 60_000, jitter: 0.5 };

export function transientBackoffMs(failures: number, random: () => number = Math.random): number {
  return backoffMs(failures, TRANSIENT_BACKOFF, random);
}

/** A failure worth trying again: Graph without an answer or a 5xx, ServiceNow or Jira unavailable or rate-limited. */
function isTransient(err: unknown): err is GraphError | ServiceNowError | JiraError {
  if (err instanceof GraphError) return !err.permanent;
  if (err instanceof ServiceNowError || err instanceof JiraError) return !err.permanent;
  return false;
}

/** At most this many steps in one run; then the job yields to others and comes back at once. */
const STEPS_PER_RUN = 12;

/** Runs the step for the request's current state. The state in Redis is the step: there is no second copy of it. */
/** The intake queues the job just before it stores the record (ADR 003): a younger job without a record waits for it. */
const RECORD_GRACE_MS = 60_000;

export async function runStep(deps: ResetDeps, requestId: string, signal?: AbortSignal, jobAgeMs = Number.POSITIVE_INFINITY): Promise<StepResult> {
  const stored = await deps.store.load(requestId);
  if (stored === undefined) {
    if (jobAgeMs < RECORD_GRACE_MS) return { kind: 'wait', ms: 200 };
    // The intake failed after queueing the job and before storing the request: there is nothing to do.
    deps.log.warn({ requestId }, 'a reset job without a request record was discarded');
    return { kind: 'done' };
  }
  const { request } = stored;
  // The step sees the workflow without the failure count: whatever it writes on success starts the count again.
  const { transientFailures = 0, ...workflow } = stored.workflow;
  if (isFinal(request.state)) {
    // Normally a no-op: the move queued them. After a crash between the move and the queueing, this does it.
    await announce(deps, request, request.state, workflow);
    return { kind: 'done' };
  }
  if (request.state === 'awaiting_approval' && (workflow.approvalChecks ?? 0) === 0) await announce(deps, request, request.state, workflow);
  try {
    switch (request.state) {
      case 'received': {
        const moved = await deps.store.transition(request, 'checking_eligibility', { actor: ACTOR, reason: 'looking up the device in Intune' });
        return moved ? { kind: 'next' } : { kind: 'done' };
      }
      case 'checking_eligibility':
        return await checkEligibility(deps, request, workflow, signal);
      case 'awaiting_approval':
        return await checkApproval(deps, request, workflow, signal);
      case 'approved':
        return await recheckAndSubmit(deps, request, workflow, signal);
      case 'submitting':
        return await submit(deps, request, workflow, signal);
      case 'awaiting_device':
        return await poll(deps, request, workflow, signal);
    }
  } catch (err) {
    if (err instanceof GraphBudgetWait) return { kind: 'wait', ms: err.waitMs };
    if (err instanceof GraphError && err.code === 'graph_throttled') return { kind: 'wait', ms: err.retryAfterMs ?? 5_000 };
    if (isTransient(err)) {
      // Counted per step, in a row: a request that meets a few blips over a long life never runs out of tries.
      const failures = transientFailures + 1;
      if (failures >= MAX_TRANSIENT_FAILURES) {
        const outcomeReason = err instanceof GraphError ? 'graph_unavailable' : 'ticketing_unavailable';
        return moveTo(deps, request, 'failed', `gave up after ${String(failures)} transient errors in a row: ${err.message}`, { ...workflow, outcomeReason });
      }
      if (!(await deps.store.saveWorkflow(request.id, request.state, { ...workflow, transientFailures: failures }))) return { kind: 'done' };
      deps.log.warn({ requestId: request.id, state: request.state, failures, code: (err as { code?: unknown }).code }, 'transient error; the step runs again after a backoff');
      const retryAfter = (err as { retryAfterMs?: unknown }).retryAfterMs;
      return { kind: 'wait', ms: Math.max(transientBackoffMs(failures), typeof retryAfter === 'number' ? retryAfter : 0) };
    }
    if (err instanceof GraphError && err.permanent) {
      return moveTo(deps, request, 'failed', err.message, { ...workflow, outcomeReason: err.code }, err.missingPermission === undefined ? undefined : { missingPermission: err.missingPermission });
    }
    // What a retry cannot fix ends the request now, with its system's reason and link, instead of retrying for half an
    // hour and then blaming Graph.
    const permanent = permanentRemoteFailure(err);
    if (permanent !== undefined) return moveTo(deps, request, 'failed', permanent.message, { ...workflow, outcomeReason: permanent.reason });
    // A bug (a TypeError and the like) fails the same way every time: the request ends, and the log says where.
    if (isProgrammingError(err)) {
      deps.log.error({ requestId: request.id, state: request.state, err }, 'unexpected error in a reset step; the request is marked failed and not retried');
      return moveTo(deps, request, 'failed', 'an unexpected error stopped the request; nothing more will be tried (see the worker log)', { ...workflow, outcomeReason: 'internal_error' });
    }
    // Anything else (Redis unreachable, a connection dropped) is retried by BullMQ's attempts, with backoff.
    throw err;
  }
  return { kind: 'done' };
}

/** An error no retry can fix, because the code itself threw it. Redis and network failures are never among them. */
function isProgrammingError(err: unknown): boolean {
  return err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || err instanceof SyntaxError;
}

/** A permanent ServiceNow or Jira refusal, or a ticketing system that is not configured: the reason and what to say. */
function permanentRemoteFailure(err: unknown): { reason: FailureReason; message: string } | undefined {
  const system = err instanceof ServiceNowError ? 'servicenow' : err instanceof JiraError ? 'jira' : undefined;
  if (system !== undefined && (err as ServiceNowError | JiraError).permanent) {
    const { code, message } = err as ServiceNowError | JiraError;
    const kind = code === 'unauthorized' || code === 'forbidden' || code === 'not_found' ? code : 'rejected';
    return { reason: `${system}_${kind}`, message };
  }
  if (err instanceof TicketingNotConfiguredError) return { reason: `${err.system}_not_configured`, message: err.message };
  return undefined;
}

/** Marks a request failed when its job has used its last attempt on transient errors, so nothing stays stuck. */
export async function failExhausted(deps: ResetDeps, requestId: string, err: unknown): Promise<void> {
  const stored = await deps.store.load(requestId);
  if (stored === undefined || isFinal(stored.request.state)) return;
  const message = err instanceof Error ? err.message : String(err);
  const outcomeReason: FailureReason = err instanceof GraphError ? 'graph_unavailable' : err instanceof ServiceNowError || err instanceof JiraError ? 'ticketing_unavailable' : 'internal_error';
  await moveTo(deps, stored.request, 'failed', `gave up after repeated errors: ${message}`, { ...stored.workflow, outcomeReason });
}

/**
 * The `reset` queue's processor: a step machine. It runs steps until one waits or the request is final. To wait it
 * moves the job to the delayed set and throws DelayedError: no attempt is used and no lock is held while waiting.
 */
export function createResetProcessor(deps: ResetDeps) {
  return async (job: Job, token?: string, signal?: AbortSignal): Promise<void> => {
    const { requestId } = parsePayload('reset', job.data);
    try {
      for (let i = 0; i < STEPS_PER_RUN; i++) {
        const result = await runStep(deps, requestId, signal, Date.now() - job.timestamp);
        if (result.kind === 'done') return;
        if (result.kind === 'wait') {
          await job.moveToDelayed(Date.now() + Math.max(1, Math.round(result.ms)), token);
          throw new DelayedError();
        }
      }
      await job.moveToDelayed(Date.now() + 1, token);
      throw new DelayedError();
    } catch (err) {
      if (err instanceof DelayedError) throw err;
      const attempts = job.opts.attempts ?? 1;
      if (job.attemptsMade + 1 >= attempts) await failExhausted(deps, requestId, err);
      throw err;
    }
  };
}
