/**
 * The application layer's typed errors. A use case refuses with an `AppError`: a kind (what sort of refusal), a stable
 * `code` for callers to branch on, a message a person can act on, and optional details. The kind alone decides the
 * HTTP status, in one place (src/http/app-errors.ts); the layer itself knows nothing of HTTP.
 *
 * - `invalid`: the input is malformed in a way no schema caught;
 * - `forbidden`: this caller may not do this (self-approval, not on the allow-list, missing role);
 * - `not_found`: nothing with that id;
 * - `conflict`: the state does not allow it now (final, busy, changed meanwhile, already used);
 * - `unprocessable`: well-formed, but it cannot be acted on (a ticket that cannot be read or disagrees);
 * - `upstream_refused`: a remote system refused for good (credentials, permissions); a retry will not help;
 * - `unavailable`: a remote system or the store cannot answer now; retry after `retryAfterSeconds`.
 */
export type AppErrorKind = 'invalid' | 'forbidden' | 'not_found' | 'conflict' | 'unprocessable' | 'upstream_refused' | 'unavailable';

export class AppError extends Error {
  override name = 'AppError';

  constructor(
    readonly kind: AppErrorKind,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export const notFound = (message: string): AppError => new AppError('not_found', 'not_found', message);
export const conflict = (code: string, message: string, details?: unknown): AppError => new AppError('conflict', code, message, details);
export const forbidden = (code: string, message: string): AppError => new AppError('forbidden', code, message);
export const unprocessable = (code: string, message: string): AppError => new AppError('unprocessable', code, message);
