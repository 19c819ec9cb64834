/**
 * What a failed delivery means for the notify queue: permanent (retrying cannot help: the notification becomes
 * undeliverable at once, with a clear error), or worth a retry, not before `retryAfterMs` when the remote end said so
 * (429, or 503 with Retry-After). Messages come from our own clients' typed errors: never a credential, a token, or a
 * remote end's free text beyond what those clients already shorten and clean.
 */
import { JiraError } from '../ticketing/jira/errors';
import { ServiceNowError } from '../ticketing/servicenow/errors';
import { StoreUnavailableError } from '../store/errors';
import type { DeliveryError } from './ledger';
import { TemplateError } from './render';
import { retryDelayMs } from '../remote/backoff';

/** A delivery failure of the notify channels themselves (email transports, a missing ticket or configuration). */
export class NotifyDeliveryError extends Error {
  override readonly name = 'NotifyDeliveryError';

  constructor(
    readonly code: string,
    message: string,
    readonly permanent: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface FailureVerdict extends DeliveryError {
  /** Wait at least this long before the next attempt. */
  readonly retryAfterMs?: number;
}

const MAX_MESSAGE = 500;

export function classifyFailure(err: unknown): FailureVerdict {
  if (err instanceof ServiceNowError || err instanceof JiraError) {
    const retryAfterMs = 'retryAfterMs' in err && typeof err.retryAfterMs === 'number' ? err.retryAfterMs : undefined;
    return { code: `${err instanceof JiraError ? 'jira' : 'servicenow'}_${err.code}`, message: err.message.slice(0, MAX_MESSAGE), permanent: err.permanent, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  }
  if (err instanceof NotifyDeliveryError) {
    return { code: err.code, message: err.message.slice(0, MAX_MESSAGE), permanent: err.permanent, ...(err.retryAfterMs === undefined ? {} : { retryAfterMs: err.retryAfterMs }) };
  }
  if (err instanceof TemplateError) return { code: err.code, message: err.message.slice(0, MAX_MESSAGE), permanent: true };
  if (err instanceof StoreUnavailableError) return { code: 'store_unavailable', message: err.message, permanent: false };
  // Anything else is a bug or an unforeseen failure: retried, and shown by its class only (its text may hold anything).
  const name = err instanceof Error ? err.name : typeof err;
  return { code: 'unexpected_error', message: `unexpected ${name} while delivering`, permanent: false };
}

/** The error the processor throws for a retry: the backoff strategy reads `retryAfterMs` from it. */
export class NotifyRetryError extends Error {
  override readonly name = 'NotifyRetryError';

  constructor(
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
  }
}

/** Half of each notify backoff step is taken off at random, so that retries after an outage spread out. */
export const NOTIFY_JITTER = 0.5;

/**
 * The wait before attempt `attemptsMade + 1`: the one backoff (src/remote/backoff.ts) from `baseMs`, at most `maxMs`,
 * with jitter; never shorter than the remote end's Retry-After (capped at a day).
 */
export function notifyRetryDelayMs(attemptsMade: number, backoff: { readonly baseMs: number; readonly maxMs: number }, retryAfterMs: number | undefined, random: () => number = Math.random): number {
  return retryDelayMs(attemptsMade, { ...backoff, jitter: NOTIFY_JITTER }, retryAfterMs, random);
}
