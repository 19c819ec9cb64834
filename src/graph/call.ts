/**
 * How every gateway call reaches Graph: a token at hand first, then the budget (GraphBudgetWait when it says wait, with
 * the call's slot reserved for its holder), then the request with the client's RetryHandler switched off (the budget
 * and the caller's re-scheduling own all retries, so no process sleeps on a Retry-After and no resend escapes the
 * budget), then error mapping; a 429 pauses the tenant for every process. A write's admission also covers one read
 * made between the admission and the write (ADR 017).
 */
import { RetryHandlerOptions, type Client, type GraphRequest } from '@microsoft/microsoft-graph-client';
import { NO_METRICS, type MetricsRecorder } from '../metrics/recorder';
import type { BudgetKind, GraphBudget } from './budget';
import { GraphBudgetWait, toGraphError, type CallContext } from './errors';
import { ResponseStatus } from './response-status';

export type GraphVersion = 'v1.0' | 'beta';

/**
 * A request on `client` that the RetryHandler never resends, with the caller's AbortSignal. `answer`, when given, gets
 * the HTTP status Graph answers (response-status.ts).
 */
export function graphRequest(client: Client, path: string, version: GraphVersion, signal: AbortSignal | undefined, answer?: ResponseStatus): GraphRequest {
  const request = client
    .api(path)
    .version(version)
    .middlewareOptions([new RetryHandlerOptions(0, 0, () => false), ...(answer === undefined ? [] : [answer])]);
  return signal === undefined ? request : request.option('signal', signal);
}

/** A request sent as a guarded call sends it, once admitted: `answer` notes the status, errors are mapped. */
type Send<T> = (answer?: ResponseStatus) => Promise<T>;

/**
 * The read a write's admission covers (ADR 017): sent at once, without asking the budget, which counted it with the
 * write; its answer and errors are those of a guarded call. It can be used once.
 */
export type CoveredRead = <T>(call: CallContext, send: Send<T>) => Promise<T>;

/**
 * One budgeted call. `holder` names the call and what it is for (e.g. `reset:<device id>`): when the budget says
 * wait, the slot is kept for that holder, and the same call made again after the wait takes it. `send` passes
 * `answer` on to its request (graphRequest), so that the metrics count the status Graph really answered (204 for
 * resetPasscode); a success whose status the client did not report counts as 200. `admitted`, when given, runs once
 * the budget has admitted the call and before it is sent (the caller records an attempt there): what it throws is
 * thrown as it is, and nothing is sent. For a write it gets the one read the admission covers.
 */
export type GuardedCall = <T>(kind: BudgetKind, call: CallContext, send: Send<T>, holder?: string, admitted?: (covered: CoveredRead) => Promise<void>) => Promise<T>;

/**
 * The wait, as an error without a stack trace: it is thrown on every budget refusal (about once per reset under load)
 * and caught a few frames up by the workflow, which only reads its wait; a stack would cost more than the rest of it.
 */
function budgetWait(waitMs: number, why: 'budget' | 'paused', tenantId: string): GraphBudgetWait {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new GraphBudgetWait(waitMs, why, tenantId);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** `ready` fetches a token if none is at hand, so that an admitted call goes out at its slot, not after a sign-in. */
export function createGuardedCall(budget: GraphBudget, tenantId: string, ready: () => Promise<void> = () => Promise.resolve(), metrics: MetricsRecorder = NO_METRICS): GuardedCall {
  return async (kind, call, send, holder, admitted) => {
    // A failed sign-in is reported by the call itself, mapped like every other client error.
    await ready().catch(() => undefined);
    const decision = await budget.acquire(tenantId, kind, holder);
    if (!decision.ok) {
      metrics.budgetWait(tenantId, decision.why, decision.waitMs);
      throw budgetWait(decision.waitMs, decision.why, tenantId);
    }
    if (admitted !== undefined) {
      let covers = kind === 'write' ? 1 : 0;
      try {
        await admitted(async (read, sendRead) => {
          if (covers === 0) throw new Error(`a ${kind} admission covers ${kind === 'write' ? 'one read' : 'no read'}: ${read.what} must ask the budget`);
          covers -= 1;
          return await sent(read, sendRead);
        });
      } finally {
        covers = 0;
      }
    }
    return await sent(call, send);
  };

  /** The request itself, with its answer counted and its error mapped; a 429 pauses the tenant for every process. */
  async function sent<T>(call: CallContext, send: Send<T>): Promise<T> {
    const answer = new ResponseStatus();
    try {
      const result = await send(answer);
      metrics.graphCall(call.route ?? 'other', answer.status ?? 200);
      return result;
    } catch (e) {
      const error = toGraphError(e, call);
      metrics.graphCall(call.route ?? 'other', error.status ?? answer.status ?? 0);
      if (error.code === 'graph_throttled') {
        metrics.graphThrottled(tenantId);
        if (error.retryAfterMs !== undefined) await budget.pause(tenantId, error.retryAfterMs);
      }
      throw error;
    }
  }
}
