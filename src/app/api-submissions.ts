import { randomUUID } from 'node:crypto';
import type { DeviceRef, RequestState, TicketRef } from '../domain/request';
import type { Log } from '../logging/logger';
import { StoreOutcomeUnknownError } from '../store/errors';
import type { StoredResponse } from '../store/idempotency';
import { RemoteError } from '../remote/errors';
import { AppError, conflict, forbidden, unprocessable } from './errors';
import type { IdempotencyRecords, RequestRepository } from './ports';
import type { SubmissionService } from './submissions';

/** A reset asked for through the API: a device and requester, or a cited ticket (then both are the ticket's). */
export interface ApiResetInput {
  readonly device?: DeviceRef;
  readonly requestedBy?: string;
  readonly reason?: string;
  readonly ticket?: Pick<TicketRef, 'system' | 'key'>;
}

export interface ApiCaller {
  /** The API token's name: the submitter, and the scope of its Idempotency-Keys. */
  readonly name: string;
  /** The caller holds the `ticket` role, needed to cite a ticket. */
  readonly mayCiteTickets: boolean;
}

export interface Accepted {
  readonly id: string;
  readonly state: RequestState;
  /** This is the stored answer to an earlier call with the same Idempotency-Key and body. */
  readonly replayed: boolean;
}

/**
 * A pending Idempotency-Key claim this old, whose request was never stored, belonged to a call that stopped without
 * an answer (Redis went away mid-commit): a retry takes it over. Longer than any submission can take.
 */
const ABANDONED_CLAIM_MS = 30_000;

/**
 * The API's submission, with the Idempotency-Key protocol around it:
 * - the first call with a key claims it (with the id its request will have); the same key and body later get the
 *   first answer back, marked `replayed`; another body is refused (422 idempotency_key_reused);
 * - a call that finds the claim in progress gets the earlier call's request if that one was stored after all (a
 *   commit Redis applied but never confirmed), 409 idempotency_in_progress while the first call may still be running,
 *   and takes the claim over once it is abandoned;
 * - only an accepted request is kept against the key: a refusal (a busy device, a ticket that cannot be read) frees
 *   the key, so the same call may succeed later. After a commit with no answer the claim stays, with its request id.
 */
export function createApiSubmissions(deps: {
  readonly submissions: SubmissionService;
  readonly store: RequestRepository;
  readonly idempotency: IdempotencyRecords;
  readonly now?: () => number;
}) {
  const now = deps.now ?? Date.now;

  async function claim(caller: ApiCaller, key: string, asSent: unknown): Promise<{ kind: 'go'; id: string } | { kind: 'answer'; accepted: Accepted }> {
    let id = randomUUID();
    const found = await deps.idempotency.claim(caller.name, key, asSent, id);
    if (found.kind === 'claimed') return { kind: 'go', id };
    if (found.kind === 'replay') return { kind: 'answer', accepted: replayOf(found.response) };
    if (found.kind === 'mismatch') throw unprocessable('idempotency_key_reused', 'This Idempotency-Key was used with a different body');
    // A first call whose commit went unanswered may have stored its request: if so, this is its answer.
    const earlier = found.requestId === undefined ? undefined : await deps.store.getCurrent(found.requestId);
    if (earlier !== undefined) {
      await deps.idempotency.complete(caller.name, key, asSent, storedAnswer(earlier.request.id, earlier.request.state));
      return { kind: 'answer', accepted: { id: earlier.request.id, state: earlier.request.state, replayed: true } };
    }
    if (found.at === undefined || now() - found.at < ABANDONED_CLAIM_MS) {
      throw conflict('idempotency_in_progress', 'A request with this Idempotency-Key is still being processed; retry shortly');
    }
    // The first call stopped long ago and stored nothing: this one takes its place.
    id = randomUUID();
    await deps.idempotency.takeOver(caller.name, key, asSent, id);
    return { kind: 'go', id };
  }

  async function submitOnce(caller: ApiCaller, input: ApiResetInput, id: string, log: Log | undefined): Promise<Accepted> {
    const { device, requestedBy, reason, ticket } = input;
    if (ticket === undefined) {
      if (device === undefined || requestedBy === undefined) throw new AppError('invalid', 'validation_failed', 'Without a ticket, give the device and requestedBy');
      const outcome = await deps.submissions.submit({ device, requestedBy, ...(reason === undefined ? {} : { reason }), source: 'api', submittedBy: caller.name }, log, id);
      if (outcome.kind === 'busy') throw busy(outcome.conflict, outcome.activeId);
      return { id: outcome.request.id, state: outcome.request.state, replayed: false };
    }
    const outcome = await deps.submissions
      .submitCitingTicket(
        { ticket, ...(device === undefined ? {} : { device }), ...(requestedBy === undefined ? {} : { requestedBy }), ...(reason === undefined ? {} : { reason }), submittedBy: caller.name },
        log,
        id,
      )
      .catch((err: unknown) => {
        throw ticketingFailure(err, ticket.system);
      });
    switch (outcome.kind) {
      case 'refused':
        throw unprocessable(outcome.code, outcome.message);
      case 'used':
        throw conflict('ticket_already_used', `Ticket ${ticket.key} already had request ${outcome.activeId} (${outcome.state}); a ticket starts at most one reset`, { activeRequestId: outcome.activeId });
      case 'busy':
        throw busy(outcome.conflict, outcome.activeId);
      case 'accepted':
        return { id: outcome.request.id, state: outcome.request.state, replayed: false };
    }
  }

  return {
    /**
     * Submits a reset for `caller`. `asSent`: the request as the caller sent it, which an Idempotency-Key is bound to.
     * Refusals are AppErrors; a store that cannot answer throws StoreUnavailableError (StoreOutcomeUnknownError when
     * the request may have been stored).
     */
    async submit(caller: ApiCaller, input: ApiResetInput, options: { readonly idempotencyKey?: string; readonly asSent?: unknown; readonly log?: Log } = {}): Promise<Accepted> {
      if (input.ticket !== undefined && !caller.mayCiteTickets) {
        throw forbidden('forbidden', 'Citing a ticket needs the "ticket" role: the request would be built from that ticket and answered in it');
      }
      const key = options.idempotencyKey;
      if (key === undefined) return submitOnce(caller, input, randomUUID(), options.log);
      const asSent = options.asSent ?? input;
      const claimed = await claim(caller, key, asSent);
      if (claimed.kind === 'answer') return claimed.accepted;
      let accepted: Accepted;
      try {
        accepted = await submitOnce(caller, input, claimed.id, options.log);
      } catch (err) {
        // A refusal frees the key; after an unanswered commit the claim stays, so a retry with the key finds the request.
        if (!(err instanceof StoreOutcomeUnknownError)) await deps.idempotency.abandon(caller.name, key).catch(() => undefined);
        throw err;
      }
      await deps.idempotency.complete(caller.name, key, asSent, storedAnswer(accepted.id, accepted.state));
      return accepted;
    },
  };
}

export type ApiSubmissions = ReturnType<typeof createApiSubmissions>;

function busy(what: 'ticket' | 'device', activeId: string): AppError {
  return conflict(what === 'device' ? 'device_has_active_request' : 'ticket_has_active_request', `The ${what} already has an active request`, { activeRequestId: activeId });
}

/**
 * What an Idempotency-Key keeps: the accepted request's id and state. The record's shape (a 202 and a body) is the one
 * stored since the key was introduced, so records written before this layer existed replay the same way.
 */
function storedAnswer(id: string, state: RequestState): StoredResponse {
  return { statusCode: 202, body: { id, state } };
}

function replayOf(response: StoredResponse): Accepted {
  const body = response.body as { readonly id?: unknown; readonly state?: unknown };
  if (typeof body.id !== 'string' || typeof body.state !== 'string') throw new Error('An Idempotency-Key record holds no request id');
  return { id: body.id, state: body.state as RequestState, replayed: true };
}

/** A ticketing system that failed while a cited ticket was read: unavailable to retry later, refused for good otherwise. */
function ticketingFailure(err: unknown, system: 'jira' | 'servicenow'): unknown {
  if (!(err instanceof RemoteError) || (err.system !== 'jira' && err.system !== 'servicenow')) return err;
  const name = system === 'jira' ? 'Jira' : 'ServiceNow';
  if (err.kind === 'permanent') {
    return new AppError('upstream_refused', 'ticketing_error', `${name} refused to show the ticket (${err.code}); nothing was stored. Check the integration's credentials and permissions.`);
  }
  const seconds = Math.min(Math.max(1, Math.ceil((err.retryAfterMs ?? 30_000) / 1000)), 3600);
  return new AppError('unavailable', 'ticketing_unavailable', `${name} could not be read just now; nothing was stored. Retry later.`, undefined, seconds);
}
