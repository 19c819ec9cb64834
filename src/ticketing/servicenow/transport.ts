/**
 * One HTTP exchange with the instance over Node's fetch (undici): the caller's signal plus a timeout, network failures
 * and non-2xx answers mapped to the typed errors. No retries here: the queue retries, from the error's `kind`.
 */
import type { Dispatcher } from 'undici';
import {
  ServiceNowAuthError,
  ServiceNowForbiddenError,
  ServiceNowNotFoundError,
  ServiceNowPermanentError,
  ServiceNowRateLimitedError,
  ServiceNowTransientError,
  retryAfterMs,
  serviceNowExplanation,
  type ServiceNowError,
} from './errors';

export interface TransportSettings {
  readonly timeoutMs: number;
  readonly dispatcher: Dispatcher | undefined;
}

export interface HttpExchange {
  readonly method: 'GET' | 'PATCH' | 'POST';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly signal: AbortSignal | undefined;
  /** How the operation is named in messages, e.g. "PATCH incident record"; never holds a secret. */
  readonly op: string;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly json: unknown;
}

/** The system error code (ECONNREFUSED, ECONNRESET, …) behind a fetch failure. Duck-typed: fetch's errors may come from another realm. */
function networkCode(err: unknown): string {
  const cause = typeof err === 'object' && err !== null ? (err as { cause?: unknown }).cause : undefined;
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code) ? ` (${code})` : '';
}

export async function exchange(settings: TransportSettings, request: HttpExchange): Promise<HttpAnswer> {
  const { op, signal } = request;
  const timeout = AbortSignal.timeout(settings.timeoutMs);
  const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
  const init: RequestInit = { method: request.method, headers: request.headers, signal: combined, redirect: 'manual', ...(request.body === undefined ? {} : { body: request.body }) };
  // Node's fetch is undici's: it takes a dispatcher, which the DOM RequestInit type does not declare.
  if (settings.dispatcher !== undefined) Object.assign(init, { dispatcher: settings.dispatcher });
  let response: Response;
  let text: string;
  try {
    response = await fetch(request.url, init);
    text = await response.text();
  } catch (err) {
    if (signal?.aborted === true) throw new ServiceNowTransientError('aborted', `${op} was cancelled`, undefined, undefined, { cause: signal.reason });
    if (timeout.aborted) throw new ServiceNowTransientError('timeout', `ServiceNow did not answer ${op} within ${settings.timeoutMs} ms`);
    throw new ServiceNowTransientError('network_error', `ServiceNow could not be reached for ${op}${networkCode(err)}`, undefined, undefined, { cause: err });
  }
  let json: unknown;
  try {
    json = text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json };
}

/** The typed error for a non-2xx answer. */
export function failure(answer: HttpAnswer, op: string): ServiceNowError {
  const { status, headers, json } = answer;
  const why = serviceNowExplanation(json);
  const detail = `ServiceNow answered ${status} to ${op}${why === undefined ? '' : `: ${why}`}`;
  if (status >= 300 && status < 400) return new ServiceNowPermanentError('invalid_response', `ServiceNow redirected ${op} (${status}): check the instance URL`, status);
  if (status === 401) return new ServiceNowAuthError(`ServiceNow refused the credentials for ${op} (401): check the integration user or the OAuth client`);
  if (status === 403) return new ServiceNowForbiddenError(detail, why);
  if (status === 404) return new ServiceNowNotFoundError(detail);
  if (status === 429) {
    // Inbound REST API rate limiting names the rule that refused the call (its sys_id): operators look it up there.
    const rule = headers.get('x-ratelimit-rule');
    const named = rule !== null && /^[0-9a-f]{32}$/.test(rule) ? ` (rate limit rule ${rule}, sys_rate_limit_rules)` : '';
    return new ServiceNowRateLimitedError(`${detail}${named}`, retryAfterMs(headers));
  }
  if (status === 408 || status >= 500) return new ServiceNowTransientError('unavailable', detail, status, retryAfterMs(headers));
  return new ServiceNowPermanentError('bad_request', detail, status);
}

/** Waits for a shared promise, but gives up as soon as the caller's signal aborts. */
export async function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, op: string): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) throw new ServiceNowTransientError('aborted', `${op} was cancelled`, undefined, undefined, { cause: signal.reason });
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => {
      reject(new ServiceNowTransientError('aborted', `${op} was cancelled`, undefined, undefined, { cause: signal.reason }));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}
