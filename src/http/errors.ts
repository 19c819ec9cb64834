/**
 * The intake's typed errors. Every error response has the shape `{ error: { code, message, details? } }`.
 */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const unauthorized = (message = 'A valid bearer token is required'): HttpError =>
  new HttpError(401, 'unauthorized', message, undefined, { 'www-authenticate': 'Bearer realm="resetpc"' });

export const forbidden = (message: string): HttpError => new HttpError(403, 'forbidden', message);

export const notFound = (message: string): HttpError => new HttpError(404, 'not_found', message);

/** 503 for a request whose commit Redis may or may not have applied (StoreOutcomeUnknownError). */
export const outcomeUnknown = (retryAfterSeconds = 5): HttpError =>
  new HttpError(
    503,
    'unavailable',
    'The request store stopped answering while this request was being stored: it may have been stored. Retry with the same Idempotency-Key, or look for it with GET /v1/resets?device=…, before sending it again.',
    undefined,
    { 'retry-after': String(retryAfterSeconds) },
  );

export const unavailable = (retryAfterSeconds = 5): HttpError =>
  new HttpError(503, 'unavailable', 'The service cannot store requests right now; nothing was stored. Retry later.', undefined, {
    'retry-after': String(retryAfterSeconds),
  });

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: unknown };
}
