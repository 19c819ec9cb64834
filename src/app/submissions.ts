import { randomUUID } from 'node:crypto';
import { deviceKey, isFinal, type AtlassianAccount, type DeviceRef, type RequestSource, type RequestState, type ResetRequest, type TicketRef, type TimelineEntry } from '../domain/request';
import { StoreOutcomeUnknownError, StoreUnavailableError } from '../store/errors';
import type { Log } from '../logging/logger';
import { normaliseIdentity } from '../domain/approval-policy';
import type { TicketReader, TicketRefusal } from '../ticketing/ticket-facts';
import { unprocessable } from './errors';
import type { JobScheduler, NotifyChannel, RequestAcceptance, RequestRepository } from './ports';

export interface NewRequest {
  readonly device: DeviceRef;
  readonly requestedBy: string;
  readonly requesterAccount?: AtlassianAccount;
  readonly reason?: string;
  readonly ticket?: TicketRef;
  readonly source: RequestSource;
  /** The caller's identity: an API token's name or `webhook:<system>`. */
  readonly submittedBy: string;
}

export type SubmitOutcome =
  | { readonly kind: 'accepted'; readonly request: ResetRequest }
  | { readonly kind: 'busy'; readonly conflict: 'ticket' | 'device'; readonly activeId: string };

export type LinkOutcome = 'linked' | 'already_linked' | 'gone';

export type TicketOutcome =
  | { readonly kind: 'accepted'; readonly id: string }
  | { readonly kind: 'already_active'; readonly id: string }
  | { readonly kind: 'already_handled'; readonly id: string; readonly state: RequestState }
  | { readonly kind: 'linked'; readonly id: string };

/** An API call that cites a ticket: the ticket is the source; `device` and `requestedBy`, when given, must agree with it. */
export interface TicketCitation {
  readonly ticket: Pick<TicketRef, 'system' | 'key'>;
  readonly device?: DeviceRef;
  readonly requestedBy?: string;
  readonly reason?: string;
  /** The caller's identity: the API token's name. */
  readonly submittedBy: string;
}

export type CitationOutcome =
  | SubmitOutcome
  | { readonly kind: 'used'; readonly activeId: string; readonly state: RequestState }
  | { readonly kind: 'refused'; readonly code: TicketRefusal | 'ticket_mismatch'; readonly message: string };

export interface SubmissionService {
  /**
   * `log` is the caller's logger (the HTTP request's), so every line carries its request id. `id`: the new request's
   * id, when the caller must know it beforehand (an Idempotency-Key records it); default a new UUID.
   */
  submit(input: NewRequest, log?: Log, id?: string): Promise<SubmitOutcome>;
  /** Records a second ticket on the active request for the same device and queues a note to that ticket. */
  linkTicket(activeId: string, ticket: TicketRef, actor: string, log?: Log): Promise<LinkOutcome>;
  /**
   * A request from a ticket (webhook). A ticket starts at most one reset in its life: once it has had a request,
   * active or finished, later deliveries for it never start another (the product's own write-backs update the ticket,
   * and each reset makes a new passcode). When another ticket's active request holds the device, this ticket is
   * linked to it instead.
   */
  submitFromTicket(input: NewRequest & { readonly ticket: TicketRef }, log?: Log): Promise<TicketOutcome>;
  /**
   * An API request citing a ticket. The ticket is read from its system of record, and the request is built from it:
   * its device, its requester, its own key. A ticket that has had a request, active or finished, starts no other (as
   * for webhooks), and a ticket that cannot be read (it does not exist yet, or is outside the configured projects and
   * tables) is refused without leaving any claim on it.
   */
  submitCitingTicket(input: TicketCitation, log?: Log, id?: string): Promise<CitationOutcome>;
}

/**
 * Accepts a request durably (ADR 003, in one round trip since ADR 013): "202" means the request and its job are both stored, and nothing is left
 * half-written. One round trip: the job is queued first and the request is stored with it, only if the job is there
 * (RequestAcceptance), so a stored request always has its job. When the request is not stored (a busy device, a
 * refused write) the job is removed again (best effort: a job without a record is discarded by the worker). When Redis
 * does not answer, the request is looked up before anything is undone: a stored request is accepted, and if the look-up
 * fails too, nothing is undone and the caller is told the request may exist (StoreOutcomeUnknownError).
 */
export function createSubmissionService(deps: {
  store: RequestRepository;
  jobs: JobScheduler;
  /** Writes a new request with its job (src/store/acceptance.ts). */
  acceptance: RequestAcceptance;
  log: Log;
  /**
   * The ticketing systems whose REST API is configured, so that a ticket's approval can be read and its answer written.
   * A ticket from any other system is refused (422 ticket_system_not_configured) before anything is stored.
   */
  ticketSystems?: { has(system: TicketRef['system']): boolean };
  /** Reads cited tickets from their system of record; without it, no API request may cite a ticket. */
  tickets?: TicketReader;
  now?: () => Date;
  /** The channels the optional `accepted` notification goes to (NOTIFY_TICKET_EVENTS, NOTIFY_EMAIL_EVENTS); default none. */
  acceptedChannels?: readonly NotifyChannel[];
}): SubmissionService {
  const { store, jobs } = deps;
  const now = deps.now ?? (() => new Date());

  async function removeJob(id: string, log: Log): Promise<void> {
    try {
      await jobs.removeReset(id);
    } catch (err) {
      log.warn({ err, requestId: id }, 'could not remove the job of a failed submission; the worker will discard it');
    }
  }

  const service: SubmissionService = {
    async submit(input, log = deps.log, id = randomUUID()) {
      const at = now().toISOString();
      const request: ResetRequest = {
        id,
        state: 'received',
        device: input.device,
        requestedBy: input.requestedBy,
        ...(input.requesterAccount === undefined ? {} : { requesterAccount: input.requesterAccount }),
        ...(input.reason === undefined ? {} : { reason: input.reason }),
        ...(input.ticket === undefined ? {} : { ticket: input.ticket }),
        linkedTickets: [],
        source: input.source,
        submittedBy: input.submittedBy,
        createdAt: at,
        updatedAt: at,
      };
      const first: TimelineEntry = { at, from: null, to: 'received', actor: input.submittedBy, reason: 'request accepted' };
      const answer = await deps.acceptance.accept(request, first);
      switch (answer.kind) {
        case 'accepted':
          break;
        case 'busy':
          // The job went out with the request; the request was not stored, so its job goes again.
          await removeJob(id, log);
          return { kind: 'busy', conflict: answer.conflict, activeId: answer.holderId };
        case 'not_stored':
          if (answer.jobMayExist) await removeJob(id, log);
          throw new StoreUnavailableError(answer.cause);
        case 'unanswered': {
          // The request may have been stored before Redis stopped answering. Look before undoing anything: removing the
          // job of a stored request would strand it. The look-up goes after the accept on the same connection.
          const found = await store.getCurrent(id).then(
            (r) => (r === undefined ? 'absent' : 'present'),
            () => 'unknown' as const,
          );
          if (found === 'present') {
            log.warn({ requestId: id }, 'the request was stored although Redis did not confirm it; the request is accepted');
            break;
          }
          if (found === 'unknown') {
            // Nothing is undone: if the record exists its job runs it; if not, the job finds no record and is discarded.
            log.warn({ requestId: id }, 'Redis stopped answering while the request was stored; it may have been stored');
            throw new StoreOutcomeUnknownError(answer.cause, id);
          }
          await removeJob(id, log);
          throw new StoreUnavailableError(answer.cause);
        }
      }
      log.info({ requestId: id, source: input.source, device: input.device, ticket: input.ticket }, 'request accepted');
      if (deps.acceptedChannels !== undefined && deps.acceptedChannels.length > 0) {
        // After the commit: the request is stored whatever happens here. A lost "accepted" note is logged, never a 503.
        await jobs.notifyEvent(request, 'accepted', deps.acceptedChannels).catch((err: unknown) => {
          log.warn({ err, requestId: id }, 'the accepted notification could not be queued');
        });
      }
      return { kind: 'accepted', request };
    },

    async linkTicket(activeId, ticket, actor, log = deps.log) {
      const entry: TimelineEntry = {
        at: now().toISOString(),
        from: null,
        to: 'received',
        actor,
        reason: `ticket ${ticket.key} asked for the same device; linked to this request, no second reset`,
        details: { linkedTicket: { system: ticket.system, key: ticket.key } },
      };
      const current = await store.get(activeId);
      if (current === undefined) return 'gone';
      const result = await store.linkTicket(activeId, ticket, { ...entry, from: current.request.state, to: current.request.state });
      // Queued on every delivery that finds the link: the job id is deterministic, so a retry never notifies twice,
      // and a retry after a failed enqueue still gets the note out.
      if (result !== 'gone') await jobs.notifyLinkedTicket(activeId, ticket);
      log.info({ requestId: activeId, ticket, result }, 'ticket linked to the active request');
      return result;
    },

    async submitFromTicket(input, log = deps.log) {
      if (deps.ticketSystems !== undefined && !deps.ticketSystems.has(input.ticket.system)) {
        throw unprocessable('ticket_system_not_configured', `${input.ticket.system === 'jira' ? 'Jira is not configured (JIRA_SITE_URL, JIRA_EMAIL, JIRA_API_TOKEN)' : 'ServiceNow is not configured (SERVICENOW_INSTANCE_URL, SERVICENOW_USERNAME, SERVICENOW_PASSWORD)'}: the ticket's approval could not be read nor its answer written, so no request was made`);
      }
      const previous = (await store.list({ ticket: input.ticket.key }, 1)).items[0];
      if (previous !== undefined) {
        // The ticket changed: re-check its request now (an approval may have been given) instead of at the next check.
        if (!isFinal(previous.state)) await jobs.wake(previous.id);
        return isFinal(previous.state)
          ? { kind: 'already_handled', id: previous.id, state: previous.state }
          : { kind: 'already_active', id: previous.id };
      }
      const outcome = await service.submit(input, log);
      if (outcome.kind === 'accepted') return { kind: 'accepted', id: outcome.request.id };
      if (outcome.conflict === 'ticket') {
        await jobs.wake(outcome.activeId);
        return { kind: 'already_active', id: outcome.activeId };
      }
      const linked = await service.linkTicket(outcome.activeId, input.ticket, input.submittedBy, log);
      // The active request finished between the two steps: the caller retries, and the retry starts a request.
      if (linked === 'gone') throw new StoreUnavailableError(new Error('the active request changed during the link'));
      return { kind: 'linked', id: outcome.activeId };
    },

    async submitCitingTicket(input, log = deps.log, id) {
      if (deps.tickets === undefined) return { kind: 'refused', code: 'ticket_system_not_configured', message: 'No ticketing system is configured, so no ticket can be cited' };
      // Checked before the remote read: a used ticket is refused whatever it says now.
      const previous = (await store.list({ ticket: input.ticket.key }, 1)).items[0];
      if (previous !== undefined) return { kind: 'used', activeId: previous.id, state: previous.state };
      const reading = await deps.tickets.read(input.ticket);
      if (reading.kind === 'refused') return reading;
      if (input.device !== undefined && deviceKey(input.device) !== deviceKey(reading.device)) {
        return { kind: 'refused', code: 'ticket_mismatch', message: `Ticket ${reading.ticket.key} names another device; leave "device" out to reset the device the ticket names` };
      }
      if (input.requestedBy !== undefined && normaliseIdentity(input.requestedBy) !== normaliseIdentity(reading.requestedBy)) {
        return { kind: 'refused', code: 'ticket_mismatch', message: `Ticket ${reading.ticket.key} was raised for someone else; leave "requestedBy" out to use the ticket's requester` };
      }
      // The ticket is the source: its device, its requester, its key (and table and sys_id) as its system holds them.
      const outcome = await service.submit(
        {
          device: reading.device,
          requestedBy: reading.requestedBy,
          ...(reading.requesterAccount === undefined ? {} : { requesterAccount: reading.requesterAccount }),
          reason: input.reason ?? reading.reason,
          ticket: reading.ticket,
          source: reading.ticket.system,
          submittedBy: input.submittedBy,
        },
        log,
        id,
      );
      if (outcome.kind === 'busy' && outcome.conflict === 'ticket') {
        const active = await store.getCurrent(outcome.activeId);
        return { kind: 'used', activeId: outcome.activeId, state: active?.request.state ?? 'received' };
      }
      return outcome;
    },
  };
  return service;
}
