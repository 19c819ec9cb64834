import { isFinal, type RequestState } from '../domain/request';
import { AppError, conflict as refuse, forbidden, notFound } from './errors';
import type { Log } from '../logging/logger';
import type { JobScheduler, RequestRepository, WorkflowRepository } from './ports';

export interface ActionResult {
  readonly id: string;
  readonly state: RequestState;
}

/**
 * What an approval did. `approval_recorded`: this call recorded it (a timeline event, `approval_recorded`);
 * `already_approved`: the request had its approval already, from `approvedBy`, and nothing was recorded. `state` is the
 * request's state now (an approval does not move it: the worker reads the approval and moves it on), and `next` the
 * state the approval leads to while the request has not reached it.
 */
export interface ApprovalResult extends ActionResult {
  readonly result: 'approval_recorded' | 'already_approved';
  readonly approvedBy: string;
  readonly next?: RequestState;
}

/** The states in which an approval is still ahead: it leads the request to `approved`. */
const BEFORE_APPROVAL: ReadonlySet<RequestState> = new Set<RequestState>(['received', 'checking_eligibility', 'awaiting_approval']);

const conflict = (message: string, code = 'conflict'): AppError => refuse(code, message);

/**
 * Operator and approver actions on a request. Each is recorded in the request's timeline with the caller's name,
 * and wakes the request's job so the worker acts on it now rather than at its next scheduled check.
 */
export function createRequestActions(deps: { store: WorkflowRepository; requests: RequestRepository; jobs: JobScheduler; allowedApprovers: readonly string[] }) {
  return {
    /**
     * Approves an API request (one without a ticket: a ticket's approval is read from its system of record). The
     * approval is an event in the timeline, not a move: the worker reads it and moves the request to `approved`.
     */
    async approve(id: string, approver: string): Promise<ApprovalResult> {
      const stored = await deps.store.load(id);
      if (stored === undefined) throw notFound(`No request with id ${id}`);
      const { request, workflow } = stored;
      if (request.ticket !== undefined) {
        throw conflict(`This request came from ${request.ticket.system} ticket ${request.ticket.key}: approve it there; its approval is read from the ticket`, 'approval_in_ticket');
      }
      if (isFinal(request.state)) throw conflict(`The request is already ${request.state}`, 'request_final');
      if (approver.toLowerCase() === request.requestedBy.toLowerCase()) {
        throw forbidden('self_approval', 'The requester cannot approve their own request');
      }
      // Nor the caller who submitted it: `requestedBy` is what the submitter wrote, so it alone proves nothing.
      if (approver.toLowerCase() === request.submittedBy.toLowerCase()) {
        throw forbidden('self_approval', 'The caller who submitted this request cannot also approve it; someone else must approve');
      }
      const allowed = deps.allowedApprovers.map((a) => a.toLowerCase());
      if (allowed.length > 0 && !allowed.includes(approver.toLowerCase())) {
        throw forbidden('approver_not_allowed', `${approver} is not on the approver allow-list`);
      }
      const ahead = BEFORE_APPROVAL.has(request.state) ? { next: 'approved' as const } : {};
      const approvedBy = workflow.apiApproval?.by ?? workflow.approver;
      if (approvedBy !== undefined) return { id, result: 'already_approved', approvedBy, state: request.state, ...ahead };
      if (!BEFORE_APPROVAL.has(request.state)) throw conflict(`The request is ${request.state}: it no longer waits for an approval`, 'not_awaiting_approval');
      const apiApproval = { by: approver, at: new Date().toISOString() };
      const saved = await deps.store.recordEvent(request, 'approval_recorded', { actor: approver, reason: `approved by ${approver}` }, { ...workflow, apiApproval });
      if (!saved) throw conflict('The request changed while approving; retry', 'request_changed');
      await deps.jobs.wake(id);
      return { id, result: 'approval_recorded', approvedBy: approver, state: request.state, ...ahead };
    },

    /**
     * Retries a failed or timed-out request: a new attempt on the same record, its timeline kept. It starts again from
     * the device check. After a timeout the first reset may still have taken effect: a retry makes a new passcode.
     *
     * The order closes the races: the state moves first, conditionally, so of two retries at once only one goes on and
     * the other has touched nothing (no lock released, no job removed). Only then are the locks taken: the request is
     * active, so a lock it holds is no longer stale to a new submission, and one a new submission took meanwhile
     * refuses the retry. Every refusal after the move puts the request back to `failed`.
     */
    async retry(id: string, operator: string, log: Log): Promise<ActionResult> {
      const stored = await deps.store.load(id);
      if (stored === undefined) throw notFound(`No request with id ${id}`);
      const { request, workflow } = stored;
      if (request.state !== 'failed' && request.state !== 'timed_out') {
        throw conflict(`Only a failed or timed-out request can be retried; this one is ${request.state}`, 'not_retryable');
      }
      const attempt = (workflow.attempt ?? 1) + 1;
      const moved = await deps.store.transition(request, 'checking_eligibility', { actor: operator, reason: `retried by ${operator} (attempt ${attempt})` }, { attempt });
      if (!moved) throw conflict('The request changed while retrying; retry', 'request_changed');

      // From here the request is active: an attempt that cannot go on ends `failed` again (a timed-out one too: the step
      // machine does not go back to timed_out), which releases its locks, so the operator can retry later.
      const putBack = async (why: string): Promise<void> => {
        const back = { actor: operator, reason: `the retry was not started: ${why}` };
        try {
          if (!(await deps.store.transition({ ...request, state: 'checking_eligibility' }, 'failed', back, workflow))) {
            // Something moved it on meanwhile: an operator's cancel, or a worker running its job. Left as it is.
            log.warn({ requestId: id }, 'retry: the request moved on before it could be put back to failed; left as it is');
          }
        } catch (err) {
          log.error({ err, requestId: id }, 'retry: the request could not be put back to failed; it may be active with no job');
        }
      };
      const attemptOrPutBack = async <T>(op: () => Promise<T>, why: string): Promise<T> => {
        try {
          return await op();
        } catch (err) {
          await putBack(why);
          throw err;
        }
      };

      const locked = await attemptOrPutBack(() => deps.requests.relock(id, request), 'its locks could not be taken (Redis did not answer); retry again');
      if (!locked.ok) {
        await putBack(`the ${locked.conflict} has another active request (${locked.holderId})`);
        throw refuse(`${locked.conflict}_has_active_request`, `The ${locked.conflict} has another active request`, { activeRequestId: locked.holderId });
      }
      // The finished attempt's job goes first: its id is the request's, and the new attempt's job takes it.
      const removed = await attemptOrPutBack(() => deps.jobs.removeReset(id), 'the last attempt\'s job could not be removed (Redis did not answer); retry again');
      if (!removed) {
        // That job is still running (it has just written the final state): a new job under its id would not be added,
        // and the new attempt would have no job. The operator tries again in a moment.
        await putBack('the last attempt was still finishing; retry in a few seconds');
        throw conflict('The last attempt is still finishing; retry in a few seconds', 'request_changed');
      }
      await attemptOrPutBack(() => deps.jobs.scheduleReset(id), 'its job could not be queued; nothing was started, retry again');
      return { id, state: 'checking_eligibility' };
    },

    /** Cancels a request that is not final. Its locks are released; a reset already sent cannot be taken back. */
    async cancel(id: string, operator: string, reason: string | undefined): Promise<ActionResult> {
      const stored = await deps.store.load(id);
      if (stored === undefined) throw notFound(`No request with id ${id}`);
      const { request, workflow } = stored;
      if (isFinal(request.state)) throw conflict(`The request is already ${request.state}`, 'request_final');
      const why = reason === undefined ? `cancelled by ${operator}` : `cancelled by ${operator}: ${reason}`;
      const moved = await deps.store.transition(request, 'cancelled', { actor: operator, reason: why }, { ...workflow, outcomeReason: 'cancelled' });
      if (!moved) throw conflict('The request changed while cancelling; retry', 'request_changed');
      await deps.jobs.notifyEvent(request, 'cancelled');
      await deps.jobs.wake(id);
      return { id, state: 'cancelled' };
    },
  };
}

export type RequestActions = ReturnType<typeof createRequestActions>;
