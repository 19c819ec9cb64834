/**
 * Retries against a remote end: the one backoff (src/domain/backoff.ts), but never sooner than the remote end's
 * Retry-After. Used by reset retries, device polling and notify retries.
 */
import { backoffMs, type BackoffPolicy } from '../domain/backoff';

export { backoffMs, type BackoffPolicy } from '../domain/backoff';

/** A Retry-After longer than this is taken as this: a remote end's mistake must not park a job for weeks. */
export const MAX_RETRY_AFTER_MS = 86_400_000;

/** The backoff, but never sooner than the remote end's Retry-After (capped at MAX_RETRY_AFTER_MS). */
export function retryDelayMs(n: number, policy: BackoffPolicy, retryAfterMs: number | undefined, random: () => number = Math.random): number {
  return Math.max(backoffMs(n, policy, random), Math.min(retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
}
