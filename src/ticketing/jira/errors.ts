/**
 * The Jira client's typed errors, RemoteErrors (src/remote/errors.ts) of system `jira`. Each has a stable `code` and a `kind` that tells the caller what to do:
 * `permanent` (do not retry: 400, 401, 403, 404, a missing transition), `rate_limited` (pause for `retryAfterMs`),
 * `transient` (retry with backoff: 5xx, 408, timeouts, network errors). Messages name the method and the path,
 * never a credential.
 */
import { parseRetryAfter } from '../../http/retry-after';
import { RemoteError, type RemoteErrorKind } from '../../remote/errors';

export type JiraErrorKind = RemoteErrorKind;

export type JiraErrorCode =
  | 'invalid_issue_key'
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'transition_not_found'
  | 'invalid_response'
  | 'rate_limited'
  | 'unavailable'
  | 'network_error'
  | 'timeout'
  | 'aborted';

export abstract class JiraError extends RemoteError {
  readonly system = 'jira';

  constructor(
    readonly code: JiraErrorCode,
    message: string,
    /** The HTTP status, when Jira answered. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Retrying will not help: fix the configuration, the credentials, the permissions or the input. */
export class JiraPermanentError extends JiraError {
  override readonly name: string = 'JiraPermanentError';
  readonly kind = 'permanent';
}

export class JiraNotFoundError extends JiraPermanentError {
  override readonly name: string = 'JiraNotFoundError';

  constructor(message: string, status = 404) {
    super('not_found', message, status);
  }
}

/** No transition of that name is available on the issue now; `available` lists the names that are. */
export class JiraTransitionNotFoundError extends JiraPermanentError {
  override readonly name: string = 'JiraTransitionNotFoundError';

  constructor(
    readonly issueKey: string,
    readonly wanted: string,
    readonly available: readonly string[],
  ) {
    const list = available.length === 0 ? 'none' : available.map((n) => `"${n}"`).join(', ');
    super('transition_not_found', `Issue ${issueKey} has no transition named "${wanted}" available; available transitions: ${list}`);
  }
}

/** Jira's rate limit: wait `retryAfterMs` (from Retry-After or X-RateLimit-Reset; undefined when Jira gave neither). */
export class JiraRateLimitedError extends JiraError {
  override readonly name: string = 'JiraRateLimitedError';
  readonly kind = 'rate_limited';

  constructor(
    message: string,
    override readonly retryAfterMs: number | undefined,
  ) {
    super('rate_limited', message, 429);
  }
}

/** Worth retrying with backoff. `retryAfterMs` is set when a 503 came with Retry-After. */
export class JiraTransientError extends JiraError {
  override readonly name: string = 'JiraTransientError';
  readonly kind = 'transient';

  constructor(
    code: JiraErrorCode,
    message: string,
    status?: number,
    override readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, status, options);
  }
}

/** Milliseconds to wait from Retry-After (seconds or an HTTP date), else X-RateLimit-Reset (ISO 8601). */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const retryAfter = parseRetryAfter(headers.get('retry-after'), now);
  if (retryAfter !== undefined) return retryAfter;
  const reset = headers.get('x-ratelimit-reset');
  if (reset !== null) {
    const at = Date.parse(reset);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  return undefined;
}

/** Jira's own explanation, from either error shape (platform `errorMessages`/`errors`, JSM `errorMessage`), shortened. */
export function jiraExplanation(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const b = body as { errorMessages?: unknown; errors?: unknown; errorMessage?: unknown };
  const parts: string[] = [];
  if (Array.isArray(b.errorMessages)) parts.push(...b.errorMessages.filter((m): m is string => typeof m === 'string'));
  if (b.errors !== null && typeof b.errors === 'object') {
    for (const [field, message] of Object.entries(b.errors as Record<string, unknown>)) if (typeof message === 'string') parts.push(`${field}: ${message}`);
  }
  if (typeof b.errorMessage === 'string') parts.push(b.errorMessage);
  const text = parts.join('; ').replace(/\p{Cc}/gu, ' ').trim();
  return text === '' ? undefined : text.slice(0, 300);
}
