/**
 * The intake's typed errors. Every error response has the shape `{ error: { code, message, details? } }`.
 */
import type { StoredDataError } from '../store/errors';

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

/**
 * 500 for a record in Redis that this process cannot read (StoredDataError): written by a newer version of the product,
 * typically during a rolling upgrade, or not of the shape its version promises. Said the same way by the API and the
 * dashboard. It names the kind of record, never the record's content; storedDataLogFields says what is logged. The
 * runbook: docs/operations.md, "Stored data this version cannot read".
 */
export function storedDataInvalid(err: StoredDataError): HttpError {
  const why = err.problem === 'unknown_version' ? 'was written by a newer version of the product' : 'is not in the format its version promises';
  return new HttpError(
    500,
    'stored_data_invalid',
    `A stored ${err.kind} ${why}, and this version cannot read it. An upgrade may be in progress: retry once every intake and worker runs the same version. It has been logged.`,
  );
}

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: unknown };
}
