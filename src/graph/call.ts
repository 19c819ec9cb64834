/**
 * How every gateway call reaches Graph: a token at hand first, then the budget (GraphBudgetWait when it says wait, with
 * the call's slot reserved for its holder), then the request with the client's RetryHandler switched off (the budget
 * and the caller's re-scheduling own all retries, so no process sleeps on a Retry-After and no resend escapes the
 * budget), then error mapping; a 429 pauses the tenant for every process.
 */
import { RetryHandlerOptions, type Client, type GraphRequest } from '@microsoft/microsoft-graph-client';
import { NO_METRICS, type MetricsRecorder } from '../metrics/recorder';
import type { BudgetKind, GraphBudget } from './budget';
import { GraphBudgetWait, toGraphError, type CallContext } from './errors';

export type GraphVersion = 'v1.0' | 'beta';

/** A request on `client` that the RetryHandler never resends, with the caller's AbortSignal. */
export function graphRequest(client: Client, path: string, version: GraphVersion, signal: AbortSignal | undefined): GraphRequest {
  const request = client
    .api(path)
    .version(version)
    .middlewareOptions([new RetryHandlerOptions(0, 0, () => false)]);
  return signal === undefined ? request : request.option('signal', signal);
}

/**
 * One budgeted call. `holder` names the call and what it is for (e.g. `reset:<device id>`): when the budget says
 * wait, the slot is kept for that holder, and the same call made again after the wait takes it.
 */
export type GuardedCall = <T>(kind: BudgetKind, call: CallContext, send: () => Promise<T>, holder?: string) => Promise<T>;

/** `ready` fetches a token if none is at hand, so that an admitted call goes out at its slot, not after a sign-in. */
export function createGuardedCall(budget: GraphBudget, tenantId: string, ready: () => Promise<void> = () => Promise.resolve(), metrics: MetricsRecorder = NO_METRICS): GuardedCall {
  return async (kind, call, send, holder) => {
    // A failed sign-in is reported by the call itself, mapped like every other client error.
    await ready().catch(() => undefined);
    const decision = await budget.acquire(tenantId, kind, holder);
    if (!decision.ok) {
      metrics.budgetWait(tenantId, decision.why, decision.waitMs);
      throw new GraphBudgetWait(decision.waitMs, decision.why, tenantId);
    }
    try {
      const result = await send();
      metrics.graphCall(call.route ?? 'other', 200);
      return result;
    } catch (e) {
      const error = toGraphError(e, call);
      metrics.graphCall(call.route ?? 'other', error.status ?? 0);
      if (error.code === 'graph_throttled') {
        metrics.graphThrottled(tenantId);
        if (error.retryAfterMs !== undefined) await budget.pause(tenantId, error.retryAfterMs);
      }
      throw error;
    }
  };
}
