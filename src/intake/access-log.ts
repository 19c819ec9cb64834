import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Log } from '../logging/logger';

declare module 'fastify' {
  interface FastifyRequest {
    /** What the request did, told by a use case through `accessLog`: written on the request's access line. */
    outcome: Record<string, unknown> | null;
  }
}

/**
 * One access line per request ("request completed", with the method, the route's template, the status and the time),
 * instead of Fastify's "incoming request" and "request completed" pair. The route template, not the raw URL, keeps ids
 * and query strings out of it. What a use case told `accessLog` (a request accepted: its id, source, device, ticket,
 * and `outcome: 'request accepted'`) goes on the same line, so an accepted request writes one line at `info`, not two.
 */
export class OneLinePerRequest extends LogController {
  override incomingRequest(): void {
    // Told once, on completion.
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { method: request.method, route: request.routeOptions.url ?? 'unmatched', statusCode: reply.statusCode, responseTime: Math.round(reply.elapsedTime), ...request.outcome };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}

/**
 * The request's logger for a use case, with its `info` facts kept for the access line (the message as `outcome`)
 * instead of written as a line of their own. Warnings and errors are written at once. Should the client be gone already
 * (no access line may follow), the facts are written at once too. Needs `request.outcome` (decorated by the app).
 */
export function accessLog(request: FastifyRequest): Log {
  return {
    info(obj, msg) {
      // The request's body stream is done (destroyed) by now; what matters is whether its connection still is.
      if (request.socket.destroyed) request.log.info(obj, msg);
      else request.outcome = { ...request.outcome, ...obj, ...(msg === undefined ? {} : { outcome: msg }) };
    },
    warn: (obj, msg) => {
      request.log.warn(obj, msg);
    },
    error: (obj, msg) => {
      request.log.error(obj, msg);
    },
  };
}
