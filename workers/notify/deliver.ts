/**
 * One notification, delivered: read the request (the job carries ids only), decide whether the event goes to this
 * channel, render the facts, and run the channel's steps. Each step is skipped when the ledger says it was delivered,
 * and recorded as soon as it is: a re-run never posts twice.
 */
import type { JobPayload } from '../../src/queue/catalog';
import { deliverByEmail, recipientsFor } from '../../src/notify/channels/email';
import { deliverToJira } from '../../src/notify/channels/jira';
import { deliverToServiceNow } from '../../src/notify/channels/servicenow';
import type { RunStep } from '../../src/notify/channels/step';
import { StepNotRecordedError } from '../../src/notify/errors';
import { buildFacts } from '../../src/notify/facts';
import { composeMessage } from '../../src/notify/message';
import type { NotifyDeps } from './deps';
import type { ResetRequest, TicketRef } from '../../src/domain/request';
import { TicketingNotConfiguredError } from '../../src/ticketing/errors';
import { ticketInScope, type TicketScope } from '../../src/ticketing/ticket-facts';

export type DeliveryOutcome = { readonly kind: 'delivered' } | { readonly kind: 'skipped'; readonly reason: string };

/** Waits between tries to record a delivered step: about 3 s in all, well inside the job's lock. */
const RECORD_BACKOFF_MS = [100, 200, 400, 800, 1_600] as const;

/**
 * Records a delivered step. The write already happened, so a plain retry of the job would post it again: the record
 * is retried here through a Redis blip, and if Redis stays away the notification is made undeliverable (an operator
 * retries it once they have checked the ticket or mailbox) instead of being sent again by itself.
 */
async function recordStep(deps: NotifyDeps, jobId: string, name: string): Promise<void> {
  for (const wait of [...RECORD_BACKOFF_MS, undefined]) {
    try {
      await deps.ledger.markStep(jobId, name);
      return;
    } catch (err) {
      if (wait === undefined) {
        deps.log.error({ notification: jobId, step: name }, 'a delivered step could not be recorded; the notification is not retried by itself, to avoid sending it twice');
        throw new StepNotRecordedError(`the ${name} step was delivered but could not be recorded (Redis unavailable); check the ticket or mailbox before retrying`);
      }
      deps.log.warn({ notification: jobId, step: name, err: err instanceof Error ? { message: err.message } : String(err) }, 'recording a delivered step failed; trying again');
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/**
 * Why the product must not write to this ticket, or undefined when it may. It writes only to tickets of the configured
 * projects and tables, and only to a ticket the request came from: its own ticket when the request was built from it
 * (a webhook, or an API citation read back from the ticket), or a ticket whose own webhook linked it to the request.
 */
export function ticketWriteRefusal(scope: TicketScope, request: ResetRequest, ticket: TicketRef, linked: boolean): string | undefined {
  if (!ticketInScope(scope, ticket)) return `ticket ${ticket.key} is not in a configured Jira project or ServiceNow table`;
  if (!linked && request.source !== ticket.system) return `the request did not come from ticket ${ticket.key} (it was attached by an API caller), so nothing is written to it`;
  if (linked && !request.linkedTickets.some((t) => t.system === ticket.system && t.key.toUpperCase() === ticket.key.toUpperCase())) return `ticket ${ticket.key} is not linked to the request`;
  return undefined;
}

export async function deliverNotification(deps: NotifyDeps, jobId: string, payload: JobPayload<'notify'>, signal?: AbortSignal): Promise<DeliveryOutcome> {
  const { settings } = deps;
  const { event, channel } = payload;
  const wanted = channel === 'ticket' ? settings.ticketEvents : settings.emailEvents;
  if (!wanted.includes(event)) return { kind: 'skipped', reason: `${event} is not configured for the ${channel} channel` };
  const stored = await deps.requests.get(payload.requestId);
  if (stored === undefined) return { kind: 'skipped', reason: 'the request no longer exists' };
  const facts = buildFacts({ ...stored, event, ...(payload.ticket === undefined ? {} : { linkedTicket: payload.ticket }) }, settings.links);
  const step: RunStep = async (name, effect) => {
    if ((await deps.ledger.stepDone(jobId, name)) !== undefined) return;
    await effect();
    await recordStep(deps, jobId, name);
  };
  const ctx = signal === undefined ? { step } : { step, signal };

  if (channel === 'email') {
    if (deps.mail === undefined || settings.email === undefined) return { kind: 'skipped', reason: 'email is off (NOTIFY_EMAIL_TRANSPORT)' };
    const recipients = recipientsFor(stored.request.requestedBy, settings.email);
    if (recipients.to.length === 0) return { kind: 'skipped', reason: 'no recipient: the requester is not an email address and no operations mailbox is set' };
    await deliverByEmail(deps.mail, recipients, composeMessage(facts), settings.email, ctx);
    return { kind: 'delivered' };
  }

  // The note goes to the linked ticket when the job names one, else to the request's own ticket.
  const ticket = payload.ticket ?? stored.request.ticket;
  if (ticket === undefined) return { kind: 'skipped', reason: 'the request has no ticket' };
  const refusal = ticketWriteRefusal(deps.ticketScope, stored.request, ticket, payload.ticket !== undefined);
  if (refusal !== undefined) return { kind: 'skipped', reason: refusal };
  const message = composeMessage(facts);
  if (ticket.system === 'servicenow') {
    if (deps.servicenow === undefined) throw new TicketingNotConfiguredError('servicenow');
    await deliverToServiceNow(deps.servicenow, ticket, facts, message, settings.servicenow, ctx);
    return { kind: 'delivered' };
  }
  if (deps.jira === undefined) throw new TicketingNotConfiguredError('jira');
  await deliverToJira(deps.jira, ticket.key, facts, message, { ...settings.jira, requestTypeField: deps.jiraRequestTypeField }, ctx);
  return { kind: 'delivered' };
}
