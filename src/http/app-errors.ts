import { AppError, type AppErrorKind } from '../app/errors';

/** The one place an application error's kind becomes an HTTP status. */
const STATUS: Readonly<Record<AppErrorKind, number>> = {
  invalid: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  upstream_refused: 502,
  unavailable: 503,
};

export interface ErrorResponse {
  readonly status: number;
  readonly body: { readonly error: { readonly code: string; readonly message: string; readonly details?: unknown } };
  readonly headers: Readonly<Record<string, string>>;
}

export function statusOf(err: AppError): number {
  return STATUS[err.kind];
}

/**
 * The API's answer to an application error, in the documented shape. A refusal that names the active request
 * (`details.activeRequestId`) also links to it; an `unavailable` one says when to retry.
 */
export function appErrorResponse(err: AppError): ErrorResponse {
  const details = withLinks(err.details);
  return {
    status: statusOf(err),
    body: { error: { code: err.code, message: err.message, ...(details === undefined ? {} : { details }) } },
    headers: err.kind === 'unavailable' ? { 'retry-after': String(err.retryAfterSeconds ?? 5) } : {},
  };
}

function withLinks(details: unknown): unknown {
  if (typeof details !== 'object' || details === null || !('activeRequestId' in details) || typeof details.activeRequestId !== 'string') return details;
  return { ...details, links: { active: `/v1/resets/${details.activeRequestId}` } };
}
