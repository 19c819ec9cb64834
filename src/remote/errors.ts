/**
 * The one contract every remote system's errors keep: Graph (src/graph/errors.ts), ServiceNow and Jira
 * (src/ticketing/*), and mail (src/notify/email/errors.ts). Each error names its `system`, a stable `code` and a `kind`
 * that says what the caller does:
 * - `permanent`: retrying cannot help (400, 401, 403, 404, a system that is not configured): end the work with the reason;
 * - `rate_limited`: the remote end asked us to slow down (429): wait `retryAfterMs` when given;
 * - `transient`: retry with backoff and jitter (5xx, 408, timeouts, network errors), never sooner than `retryAfterMs`.
 * `classify()` (classify.ts) reads this contract for both processors. Messages are the clients' own: they never hold a
 * credential, a token or a remote end's free text beyond what the clients shorten and clean.
 */
export type RemoteSystem = 'graph' | 'servicenow' | 'jira' | 'mail';

export type RemoteErrorKind = 'permanent' | 'rate_limited' | 'transient';

export abstract class RemoteError extends Error {
  abstract readonly system: RemoteSystem;
  /** Stable, for logs, ledgers and outcome reasons: never branch on `message`. */
  abstract readonly code: string;
  abstract readonly kind: RemoteErrorKind;
  /** Wait at least this long before the next try (the remote end's Retry-After), when it said so. */
  declare readonly retryAfterMs?: number | undefined;

  get permanent(): boolean {
    return this.kind === 'permanent';
  }

  /** The code with its system in front, as ledgers and outcome reasons show it (`servicenow_forbidden`). */
  get qualifiedCode(): string {
    return `${this.system}_${this.code}`;
  }
}
