/**
 * The product's one exponential backoff: `baseMs` doubling with each try, at most `maxMs`, less up to `jitter` of it
 * taken off at random (0.5 spreads a crowd of retries over the upper half of each step). Pure: pass `random` to pin it.
 * It is in the domain so that the domain's own waits (the approval checks) use it; reset and notify retries, device
 * polling and Redis reconnects use it too, and src/remote/backoff.ts adds a remote end's Retry-After.
 */
export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
  /** The share of the wait taken off at random, 0 (none, the default) to 1. */
  readonly jitter?: number;
}

/** The wait before try `n + 1` after the n-th failure (1-based; NaN and anything below 1 count as the first). */
export function backoffMs(n: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponent = Number.isNaN(n) ? 0 : Math.min(Math.max(0, Math.floor(n) - 1), 52);
  const full = Math.min(policy.baseMs * 2 ** exponent, policy.maxMs);
  const jitter = policy.jitter ?? 0;
  return jitter === 0 ? full : Math.round(full * (1 - jitter * random()));
}
