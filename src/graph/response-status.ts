/**
 * The HTTP status Graph answered, for GET /metrics (`resetpc_graph_calls_total{route,status}`). The Graph client
 * resolves a call with its parsed body only (a 204 POST with nothing), so the status is noted on the way back by a
 * handler in the client's middleware chain (client.ts), into the per-request option the caller passed with
 * `middlewareOptions` (call.ts `graphRequest`). The middleware chain is the client's own extension point.
 */
import type { Context, Middleware, MiddlewareOptions } from '@microsoft/microsoft-graph-client';

/** One request's answer: its HTTP status once Graph answered (the last answer, after redirects), else undefined. */
export class ResponseStatus implements MiddlewareOptions {
  status: number | undefined = undefined;
}

/** Notes each answer's status in the request's ResponseStatus option, when it has one. Sits just before the sender. */
export class ResponseStatusHandler implements Middleware {
  #next: Middleware | undefined;

  async execute(context: Context): Promise<void> {
    if (this.#next === undefined) throw new Error('ResponseStatusHandler needs a next handler: the one that sends the request');
    await this.#next.execute(context);
    const note = context.middlewareControl?.getMiddlewareOptions(ResponseStatus) as ResponseStatus | undefined;
    if (note !== undefined && context.response !== undefined) note.status = context.response.status;
  }

  setNext(next: Middleware): void {
    this.#next = next;
  }
}
