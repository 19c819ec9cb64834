/**
 * The notify queue's own failures and retry timing. What a failed delivery means (permanent, rate-limited, transient)
 * is read by the one classifier, src/remote/classify.ts: the channels' clients throw RemoteErrors (mail, ServiceNow,
 * Jira), never a credential, a token, or a remote end's free text beyond what those clients already shorten and clean.
 */
import { retryDelayMs } from '../remote/backoff';

/**
 * A delivered step Redis could not record: a retry by itself could post it twice, so the notification becomes
 * undeliverable at once (permanent), and an operator retries it once they have checked the ticket or mailbox.
 */
export class StepNotRecordedError extends Error {
  override readonly name = 'StepNotRecordedError';
  readonly code = 'step_not_recorded';
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
