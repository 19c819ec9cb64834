/**
 * The Graph gateway's typed errors, a RemoteError (src/remote/errors.ts). Callers branch on `code` and `kind`, never on
 * `message`:
 * - permanent (400, 401, 403, 404): fail fast with the reason (BullMQ UnrecoverableError). One exception: a token
 *   Entra ID would not issue is graph_unauthorized but transient (see toGraphError), so branch on `kind`;
 * - graph_throttled (429), kind rate_limited: the tenant is paused in the budget for `retryAfterMs`; re-schedule;
 * - graph_unavailable (5xx, timeouts, network, a lost response): transient; retry with backoff and jitter. For a
 *   write, the outcome is unknown: look for the effect before sending it again.
 * GraphBudgetWait is not a failure: the shared budget (or a tenant pause) says "not yet"; re-schedule, never sleep.
 *
 * Messages are written here from status, Graph's error `code` and its request-id only: never Graph's own message
 * text, a token or a secret. Mapping follows DOMAIN.md §2 (error shape, throttling) and learn.microsoft.com/graph/errors.
 */
import { parseRetryAfter } from '../http/retry-after';
import { isProgrammingError } from '../domain/programming-error';
import { RemoteError, type RemoteErrorKind } from '../remote/errors';
import { GraphError as ClientGraphError } from '@microsoft/microsoft-graph-client';

export type GraphErrorCode = 'graph_forbidden' | 'graph_not_found' | 'graph_bad_request' | 'graph_unauthorized' | 'graph_throttled' | 'graph_unavailable';

/** The least-privilege application permission each gateway call needs (DOMAIN.md §2). */
export type GraphPermission =
  | 'DeviceManagementManagedDevices.Read.All'
  | 'DeviceManagementManagedDevices.PrivilegedOperations.All'
  | 'DeviceManagementConfiguration.Read.All'
  | 'Application.Read.All';

export interface GraphErrorInit {
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly missingPermission?: GraphPermission;
  /** Graph's own error code, e.g. `Forbidden`, `ResourceNotFound`; for logs. */
  readonly graphCode?: string;
  /** Graph's request-id, for Microsoft support. */
  readonly requestId?: string;
  /** Overrides the code's default (only a failed token request does: its cause cannot be told apart). */
  readonly permanent?: boolean;
}

const PERMANENT: ReadonlySet<GraphErrorCode> = new Set(['graph_forbidden', 'graph_not_found', 'graph_bad_request', 'graph_unauthorized']);
/** Error names @azure/identity uses when no token could be had (the Graph client passes them on as its GraphError code). */
const TOKEN_ERRORS: ReadonlySet<string> = new Set(['AuthenticationError', 'AuthenticationRequiredError', 'CredentialUnavailableError']);

export class GraphError extends RemoteError {
  override readonly name = 'GraphError';
  readonly system = 'graph';
  readonly kind: RemoteErrorKind;
  readonly status?: number;
  declare readonly retryAfterMs?: number;
  readonly missingPermission?: GraphPermission;
  readonly graphCode?: string;
  readonly requestId?: string;

  constructor(
    readonly code: GraphErrorCode,
    message: string,
    init: GraphErrorInit = {},
  ) {
    super(message);
    this.kind = code === 'graph_throttled' ? 'rate_limited' : (init.permanent ?? PERMANENT.has(code)) ? 'permanent' : 'transient';
    if (init.status !== undefined) this.status = init.status;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    if (init.missingPermission !== undefined) this.missingPermission = init.missingPermission;
    if (init.graphCode !== undefined) this.graphCode = init.graphCode;
    if (init.requestId !== undefined) this.requestId = init.requestId;
  }

  /** Graph's codes carry their system already (`graph_forbidden`). */
  override get qualifiedCode(): string {
    return this.code;
  }
}

/** The shared Graph budget or a tenant pause says wait `waitMs`: re-schedule the step (e.g. moveToDelayed), never sleep. */
export class GraphBudgetWait extends Error {
  override readonly name = 'GraphBudgetWait';
  readonly code = 'graph_budget_wait';

  constructor(
    readonly waitMs: number,
    readonly why: 'budget' | 'paused',
    tenantId: string,
  ) {
    super(why === 'paused' ? `Graph calls for tenant ${tenantId} are paused by a 429 for ${waitMs} ms` : `the Graph budget of tenant ${tenantId} has room again in ${waitMs} ms`);
  }
}

/** When Retry-After is missing on a 429 (Graph says: back off); the caller's attempt-based backoff grows from here. */
export const DEFAULT_THROTTLE_WAIT_MS = 10_000;

/** Retry-After in ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export const retryAfterMs = parseRetryAfter;

export interface CallContext {
  /** The call's name, a metric label from a fixed set, e.g. `getDevice`. */
  readonly route?: string;
  /** What the call did, for the message, e.g. "GET managed device". */
  readonly what: string;
  readonly permission: GraphPermission;
}

/**
 * Maps whatever a Graph client call threw to a GraphError. Branches on status and codes, never on messages.
 * @throws the error itself when it is a bug in our own code around the client (a TypeError and the like): mapped, it
 * would read as Graph being unavailable and be retried for half an hour; passed on, classify() ends the request
 * `internal_error` at once and the worker logs where it came from.
 */
export function toGraphError(error: unknown, call: CallContext): GraphError {
  if (error instanceof GraphError) return error;
  if (!(error instanceof ClientGraphError)) {
    if (isProgrammingError(error)) throw error;
    // Not from the client's request pipeline, nor a bug (the client wraps network failures itself): unrevealing, and
    // transient, which is safe for a read and, for a write, leads to looking for its effect before sending it again.
    return new GraphError('graph_unavailable', `${call.what} failed before Graph answered`);
  }
  const status = error.statusCode;
  const graphCode = error.code ?? undefined;
  const ids: GraphErrorInit = { ...(graphCode === undefined ? {} : { graphCode }), ...(error.requestId === null ? {} : { requestId: error.requestId }) };
  const details = [graphCode, error.requestId === null ? undefined : `request-id ${error.requestId}`].filter((d) => d !== undefined);
  const suffix = details.length === 0 ? '' : ` (${details.join(', ')})`;

  if (status <= 0) {
    // No HTTP status: the request never got an answer (network, TLS, lost response, abort), or the token was refused.
    if (graphCode !== undefined && TOKEN_ERRORS.has(graphCode)) {
      // @azure/identity gives the same error class to "secret refused" and "token endpoint unreachable", so this
      // stays transient: a bad credential fails after the caller's attempts, a network blip does not fail a reset.
      return new GraphError('graph_unauthorized', `${call.what}: could not get a token from Entra ID; check the app's client id, secret or certificate and the authority`, {
        ...ids,
        permanent: false,
      });
    }
    return new GraphError('graph_unavailable', `${call.what}: no answer from Graph (network error, timeout or lost response)${suffix}`, ids);
  }
  const init: GraphErrorInit = { ...ids, status };
  if (status === 401) {
    return new GraphError('graph_unauthorized', `${call.what}: Graph refused the access token (401); the app's credential or token is not valid for this tenant${suffix}`, init);
  }
  if (status === 403) {
    return new GraphError('graph_forbidden', `${call.what}: the app lacks the application permission ${call.permission} (403); grant it with admin consent${suffix}`, {
      ...init,
      missingPermission: call.permission,
    });
  }
  if (status === 404) return new GraphError('graph_not_found', `${call.what}: not found (404)${suffix}`, init);
  if (status === 429) {
    const wait = retryAfterMs(error.headers?.get('retry-after')) ?? DEFAULT_THROTTLE_WAIT_MS;
    return new GraphError('graph_throttled', `${call.what}: throttled by Graph (429); retry after ${wait} ms${suffix}`, { ...init, retryAfterMs: wait });
  }
  if (status === 408 || status >= 500) {
    const wait = retryAfterMs(error.headers?.get('retry-after'));
    return new GraphError('graph_unavailable', `${call.what}: Graph is unavailable (${status})${suffix}`, { ...init, ...(wait === undefined ? {} : { retryAfterMs: wait }) });
  }
  return new GraphError('graph_bad_request', `${call.what}: Graph rejected the request (${status})${suffix}`, init);
}
