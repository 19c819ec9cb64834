/**
 * The ServiceNow client's typed errors, RemoteErrors (src/remote/errors.ts) of system `servicenow`. Each has a stable
 * `code` and a `kind` that tells the caller what to do:
 * - `permanent`: do not retry (bad input refused before any request, 400, 401, 403 including data-policy refusals,
 *   404, an answer of the wrong shape);
 * - `rate_limited`: pause for `retryAfterMs` (429; undefined when ServiceNow gave no Retry-After);
 * - `transient`: retry with backoff (5xx, 408, timeouts, network errors, a cancelled call).
 * Messages name the operation and the table, never a credential or a token.
 */
import { parseRetryAfter } from '../../http/retry-after';
import { RemoteError, type RemoteErrorKind } from '../../remote/errors';

export type ServiceNowErrorKind = RemoteErrorKind;

export type ServiceNowErrorCode =
  | 'invalid_argument'
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  /** The write-back's own refusals: a ticket number of no known table, a number no record has. */
  | 'unknown_table'
  | 'ticket_not_found'
  | 'invalid_response'
  | 'rate_limited'
  | 'unavailable'
  | 'network_error'
  | 'timeout'
  | 'aborted';

export abstract class ServiceNowError extends RemoteError {
  readonly system = 'servicenow';

  constructor(
    readonly code: ServiceNowErrorCode,
    message: string,
    /** The HTTP status, when ServiceNow answered. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Retrying will not help: fix the input, the configuration, the credentials or the instance's ACLs and policies. */
export class ServiceNowPermanentError extends ServiceNowError {
  override readonly name: string = 'ServiceNowPermanentError';
  readonly kind = 'permanent';
}

/** 401: the instance refused the Basic credentials or the OAuth client (or its token). */
export class ServiceNowAuthError extends ServiceNowPermanentError {
  override readonly name: string = 'ServiceNowAuthError';

  constructor(message: string, status = 401) {
    super('unauthorized', message, status);
  }
}

/** 403: an ACL, a business rule or a data policy refused the operation; `detail` is ServiceNow's explanation. */
export class ServiceNowForbiddenError extends ServiceNowPermanentError {
  override readonly name: string = 'ServiceNowForbiddenError';

  constructor(
    message: string,
    readonly detail: string | undefined,
  ) {
    super('forbidden', message, 403);
  }
}

export class ServiceNowNotFoundError extends ServiceNowPermanentError {
  override readonly name: string = 'ServiceNowNotFoundError';

  constructor(message: string) {
    super('not_found', message, 404);
  }
}

/** 429: wait `retryAfterMs` (from Retry-After, else X-RateLimit-Reset; undefined when neither was given). */
export class ServiceNowRateLimitedError extends ServiceNowError {
  override readonly name: string = 'ServiceNowRateLimitedError';
  readonly kind = 'rate_limited';

  constructor(
    message: string,
    override readonly retryAfterMs: number | undefined,
  ) {
    super('rate_limited', message, 429);
  }
}

/** Worth retrying with backoff. `retryAfterMs` is set when a 503 came with Retry-After. */
export class ServiceNowTransientError extends ServiceNowError {
  override readonly name: string = 'ServiceNowTransientError';
  readonly kind = 'transient';

  constructor(
    code: ServiceNowErrorCode,
    message: string,
    status?: number,
    override readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, status, options);
  }
}

/**
 * Milliseconds to wait: Retry-After (delta seconds or an HTTP date), else X-RateLimit-Reset (ServiceNow sends Unix
 * seconds there).
 */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const retryAfter = parseRetryAfter(headers.get('retry-after'), now);
  if (retryAfter !== undefined) return retryAfter;
  const reset = headers.get('x-ratelimit-reset')?.trim();
  if (reset !== undefined && /^\d{9,11}$/.test(reset)) return Math.max(0, Number(reset) * 1000 - now);
  return undefined;
}

/** ServiceNow's own explanation from `{"error":{"message","detail"},"status":"failure"}`, one line, shortened. */
export function serviceNowExplanation(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const error = (body as { error?: unknown }).error;
  if (error === null || typeof error !== 'object') return undefined;
  const { message, detail } = error as { message?: unknown; detail?: unknown };
  const parts = [message, detail].filter((p): p is string => typeof p === 'string' && p.trim() !== '');
  const text = parts.join(': ').replace(/\p{Cc}/gu, ' ').replace(/\s+/g, ' ').trim();
  return text === '' ? undefined : text.slice(0, 300);
}
