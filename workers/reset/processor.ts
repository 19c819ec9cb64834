import { DelayedError, type Job } from 'bullmq';
import { parsePayload } from '../../src/queue/catalog';
import { StoredDataError, storedDataLogFields } from '../../src/store/errors';
import { GraphBudgetWait, GraphError } from '../../src/graph/errors';
import { classify, type Verdict } from '../../src/remote/classify';
import { isFinal, type ResetRequest } from '../../src/domain/request';
import type { WorkflowData } from '../../src/domain/workflow';
import { backoffMs, type BackoffPolicy } from '../../src/remote/backoff';
import { GRAPH_REFUSALS, TICKETING_REFUSALS, type FailureReason } from '../../src/domain/reasons';
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

/** At most this many steps in one run; then the job yields to others and comes back at once. */
const STEPS_PER_RUN = 12;

/** The intake queues the job just before it stores the record (ADR 003): a younger job without a record waits for it. */
const RECORD_GRACE_MS = 60_000;

/** Runs the step for the request's current state. The state in Redis is the step: there is no second copy of it. */
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
    return await afterFailure(deps, request, workflow, transientFailures, err);
  }
  return { kind: 'done' };
}

/**
 * The reason a request ends with when its system stays unavailable: Graph's, or the ticketing system's. A token Entra
 * ID kept refusing is graph_unauthorized (transient only because an outage looks the same), so its link is the one
 * about the app's credential, not Graph's error page.
 */
function unavailableReason(verdict: Verdict): FailureReason {
  if (verdict.system === 'graph') return verdict.code === 'graph_unauthorized' ? 'graph_unauthorized' : 'graph_unavailable';
  return verdict.system === 'servicenow' || verdict.system === 'jira' ? 'ticketing_unavailable' : 'internal_error';
}

/** A permanent Graph refusal, as its reason: the codes of src/graph/errors.ts; any other is a refused request. */
function graphReason(code: string): FailureReason {
  return GRAPH_REFUSALS.find((k) => code === k) ?? 'graph_bad_request';
}

/** A permanent ServiceNow or Jira refusal (or an answer that is not its API's, or a system that is not configured): `<system>_<code>`, for its link. */
function ticketingReason(system: 'servicenow' | 'jira', code: string): FailureReason {
  const kind = TICKETING_REFUSALS.find((k) => code === `${system}_${k}`) ?? 'rejected';
  return `${system}_${kind}`;
}

/** What a failed step means for the request, by the one classifier (src/remote/classify.ts). */
async function afterFailure(deps: ResetDeps, request: ResetRequest, workflow: WorkflowData, transientFailures: number, err: unknown): Promise<StepResult> {
  const verdict = classify(err);
  // A Graph 429 has paused the tenant's budget for every process: wait it out, without counting it as a failure.
  if (verdict.kind === 'rate_limited' && verdict.system === 'graph') return { kind: 'wait', ms: verdict.retryAfterMs ?? 5_000 };
  if ((verdict.kind === 'transient' || verdict.kind === 'rate_limited') && verdict.system !== undefined) {
    // Counted per step, in a row: a request that meets a few blips over a long life never runs out of tries.
    const failures = transientFailures + 1;
    if (failures >= MAX_TRANSIENT_FAILURES) {
      return moveTo(deps, request, 'failed', `gave up after ${String(failures)} transient errors in a row: ${messageOf(err)}`, { ...workflow, outcomeReason: unavailableReason(verdict) });
    }
    if (!(await deps.store.saveWorkflow(request.id, request.state, { ...workflow, transientFailures: failures }))) return { kind: 'done' };
    deps.log.warn({ requestId: request.id, state: request.state, failures, code: verdict.code }, 'transient error; the step runs again after a backoff');
    return { kind: 'wait', ms: Math.max(transientBackoffMs(failures), verdict.retryAfterMs ?? 0) };
  }
  // What a retry cannot fix ends the request now, with its system's reason and link, instead of retrying for half an
  // hour and then blaming Graph.
  if (verdict.kind === 'permanent' && verdict.system === 'graph') {
    const missingPermission = err instanceof GraphError ? err.missingPermission : undefined;
    return moveTo(deps, request, 'failed', messageOf(err), { ...workflow, outcomeReason: graphReason(verdict.code) }, missingPermission === undefined ? undefined : { missingPermission });
  }
  if (verdict.kind === 'permanent' && (verdict.system === 'servicenow' || verdict.system === 'jira')) {
    return moveTo(deps, request, 'failed', messageOf(err), { ...workflow, outcomeReason: ticketingReason(verdict.system, verdict.code) });
  }
  // A bug (a TypeError and the like) fails the same way every time: the request ends, and the log says where.
  if (verdict.kind === 'internal' && verdict.bug === true) {
    deps.log.error({ requestId: request.id, state: request.state, err }, 'unexpected error in a reset step; the request is marked failed and not retried');
    return moveTo(deps, request, 'failed', 'an unexpected error stopped the request; nothing more will be tried (see the worker log)', { ...workflow, outcomeReason: 'internal_error' });
  }
  // Anything else (Redis unreachable, a connection dropped) is retried by BullMQ's attempts, with backoff.
  throw err;
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Marks a request failed when its job has used its last attempt on transient errors, so nothing stays stuck. */
export async function failExhausted(deps: ResetDeps, requestId: string, err: unknown): Promise<void> {
  const stored = await deps.store.load(requestId);
  if (stored === undefined || isFinal(stored.request.state)) return;
  await moveTo(deps, stored.request, 'failed', `gave up after repeated errors: ${messageOf(err)}`, { ...stored.workflow, outcomeReason: unavailableReason(classify(err)) });
}

/** How long a job whose request this version cannot read waits before it looks again. */
export const STORED_DATA_WAIT_MS = 5 * 60_000;

/**
 * What the processor throws once it has moved its job to the delayed set: BullMQ only checks that it is a
 * DelayedError, so one instance serves every wait (no error, and no stack trace, built per wait).
 */
const MOVED_TO_DELAYED = new DelayedError();

/**
 * The `reset` queue's processor: a step machine. It runs steps until one waits or the request is final. To wait it
 * moves the job to the delayed set and throws DelayedError: no attempt is used and no lock is held while waiting.
 * Each run reads the request through a view of the store of its own (WorkflowStore.forRun): a step that follows the
 * run's own transition starts from what that transition wrote, instead of reading the request again.
 */
export function createResetProcessor(deps: ResetDeps) {
  return async (job: Job, token?: string, signal?: AbortSignal): Promise<void> => {
    const { requestId } = parsePayload('reset', job.data);
    const run: ResetDeps = { ...deps, store: deps.store.forRun() };
    try {
      for (let i = 0; i < STEPS_PER_RUN; i++) {
        const result = await runStep(run, requestId, signal, Date.now() - job.timestamp);
        if (result.kind === 'done') return;
        if (result.kind === 'wait') {
          await job.moveToDelayed(Date.now() + Math.max(1, Math.round(result.ms)), token);
          throw MOVED_TO_DELAYED;
        }
      }
      await job.moveToDelayed(Date.now() + 1, token);
      throw MOVED_TO_DELAYED;
    } catch (err) {
      if (err instanceof DelayedError) throw err;
      if (err instanceof StoredDataError) {
        // A record this version cannot read: neither fail the request nor use the job's attempts, which would leave
        // the request active without a job. The job waits, and comes back until a process reads the record: a worker
        // of the newer version that wrote it (`unknown_version`, a rolling upgrade), or this one once an operator has
        // restored a record changed by hand (`invalid`). Each look logs at error level, so an alert on the line sees a
        // record that stays unreadable. Runbook: "Stored data this version cannot read".
        deps.log.error({ requestId, ...storedDataLogFields(err) }, 'reset job: stored data this version cannot read; the job waits for a process that can');
        await job.moveToDelayed(Date.now() + STORED_DATA_WAIT_MS, token);
        throw MOVED_TO_DELAYED;
      }
      const attempts = job.opts.attempts ?? 1;
      if (job.attemptsMade + 1 >= attempts) await failExhausted(deps, requestId, err);
      throw err;
    }
  };
}
