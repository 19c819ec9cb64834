/**
 * How every gateway call reaches Graph: budget first (GraphBudgetWait when it says wait), then the request with the
 * client's RetryHandler switched off (the budget and the caller's re-scheduling own all retries, so no process sleeps
 * on a Retry-After and no resend escapes the budget), then error mapping; a 429 pauses the tenant for every process.
 */
import { RetryHandlerOptions, type Client, type GraphRequest } from '@microsoft/microsoft-graph-client';
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

export type GuardedCall = <T>(kind: BudgetKind, call: CallContext, send: () => Promise<T>) => Promise<T>;

export function createGuardedCall(budget: GraphBudget, tenantId: string): GuardedCall {
  return async (kind, call, send) => {
    const decision = await budget.acquire(tenantId, kind);
    if (!decision.ok) throw new GraphBudgetWait(decision.waitMs, decision.why, tenantId);
    try {
      return await send();
    } catch (e) {
      const error = toGraphError(e, call);
      if (error.code === 'graph_throttled' && error.retryAfterMs !== undefined) await budget.pause(tenantId, error.retryAfterMs);
      throw error;
    }
  };
}
