/**
 * The one classifier of failures, for both processors (workers/reset, workers/notify). A RemoteError (errors.ts) is
 * read through its contract, except one raised on a success status (an answer its client could not read: `internal`);
 * the few failures of our own that know what they are have a verdict of their own; anything else is `internal`: a bug
 * or an unforeseen failure, shown by its class only (its text may hold anything).
 */
import { isProgrammingError } from '../domain/programming-error';
import { StoreUnavailableError } from '../store/errors';
import { StepNotRecordedError } from '../notify/errors';
import { TemplateError } from '../notify/render';
import { RemoteError, type RemoteErrorKind, type RemoteSystem } from './errors';

export interface Verdict {
  /** What to do: end now (`permanent`), wait (`rate_limited`), retry with backoff (`transient`), or see `internal`. */
  readonly kind: RemoteErrorKind | 'internal';
  /** The remote system that failed; absent when the failure is our own (Redis, a template, a bug). */
  readonly system?: RemoteSystem;
  /** Stable and qualified: `servicenow_forbidden`, `graph_unavailable`, `smtp_auth`, `store_unavailable`, `unexpected_error`. */
  readonly code: string;
  /** Safe to record: the clients' own words, at most MAX_MESSAGE characters. */
  readonly message: string;
  /** Wait at least this long before the next try, when the remote end said so. */
  readonly retryAfterMs?: number;
  /** Only for `internal`: thrown by the code itself (a TypeError and the like), so a retry fails the same way. */
  readonly bug?: boolean;
}

export const MAX_MESSAGE = 500;


/**
 * True when the remote end answered success (2xx) and its client failed while reading the answer: a body that is not
 * JSON (an OData in-stream error leaves a 200 malformed), or one cut short. Graph's client reports it with that 2xx
 * status (src/graph/errors.ts maps it as if Graph had refused the request); it is no refusal, but an answer of a
 * shape the product does not expect. The reset step that sends resetPasscode reads it too (workers/reset/steps.ts).
 */
export function failedOnSuccess(err: unknown): err is RemoteError & { readonly status: number } {
  const status: unknown = err instanceof RemoteError ? (err as { status?: unknown }).status : undefined;
  return typeof status === 'number' && status >= 200 && status < 300;
}

export function classify(err: unknown): Verdict {
  if (failedOnSuccess(err)) {
    // Not the client's `kind` (Graph's says "rejected", permanent): the same answer fails the same way on every try.
    return { kind: 'internal', system: err.system, code: 'unexpected_error', message: `unexpected answer from ${err.system} (a success status the client could not read)`, bug: true };
  }
  if (err instanceof RemoteError) {
    const verdict = { kind: err.kind, system: err.system, code: err.qualifiedCode, message: err.message.slice(0, MAX_MESSAGE) };
    return err.retryAfterMs === undefined ? verdict : { ...verdict, retryAfterMs: err.retryAfterMs };
  }
  if (err instanceof StoreUnavailableError) return { kind: 'transient', code: 'store_unavailable', message: err.message };
  if (err instanceof TemplateError || err instanceof StepNotRecordedError) return { kind: 'permanent', code: err.code, message: err.message.slice(0, MAX_MESSAGE) };
  const name = err instanceof Error ? err.name : typeof err;
  return { kind: 'internal', code: 'unexpected_error', message: `unexpected ${name}`, bug: isProgrammingError(err) };
}
