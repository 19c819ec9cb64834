/**
 * The ServiceNow channel (Table API): a `work_notes` entry for every event, a customer-visible `comments` entry for
 * the configured events, and on a final outcome the configured state change (an incident with `close_code` and
 * `close_notes`; a requested item with `close_notes`). Each write is one recorded step. Journal entries and close
 * notes carry no live `[code]` tag (ServiceNow renders one as HTML): see ../markup.ts.
 */
import type { TicketRef } from '../../domain/request';
import { ServiceNowPermanentError, type ServiceNowClient, type ServiceNowStateUpdate } from '../../ticketing/servicenow';
import type { NotificationFacts } from '../facts';
import type { NotificationMessage } from '../message';
import type { ServiceNowWriteBack } from '../settings';
import type { ChannelContext } from './step';

/** The table of a ticket number, by its prefix (INC0010001 → incident, RITM0010001 → sc_req_item). */
const TABLE_OF_PREFIX: Readonly<Record<string, string>> = { INC: 'incident', RITM: 'sc_req_item' };

export function tableOfNumber(key: string): string | undefined {
  const prefix = /^[A-Z]+/.exec(key.toUpperCase())?.[0];
  return prefix === undefined ? undefined : TABLE_OF_PREFIX[prefix];
}

/** The state change a final outcome asks for on this table, or undefined (none configured, or not final). */
export function stateUpdateFor(table: string, facts: Pick<NotificationFacts, 'final' | 'kind'>, closeNotes: string, settings: ServiceNowWriteBack): ServiceNowStateUpdate | undefined {
  if (!facts.final) return undefined;
  const success = facts.kind === 'success';
  if (table === 'incident') {
    const target = success ? settings.incident.success : settings.incident.failure;
    if (target.state === '') return undefined;
    return { state: target.state, ...(target.closeCode === '' ? {} : { closeCode: target.closeCode }), closeNotes };
  }
  if (table === 'sc_req_item') {
    const target = success ? settings.reqItem.success : settings.reqItem.failure;
    return target.state === '' ? undefined : { state: target.state, closeNotes };
  }
  return undefined;
}

export async function deliverToServiceNow(
  client: ServiceNowClient,
  ticket: Pick<TicketRef, 'key' | 'table' | 'sysId'>,
  facts: NotificationFacts,
  message: NotificationMessage,
  settings: ServiceNowWriteBack,
  ctx: ChannelContext,
): Promise<void> {
  const options = ctx.signal === undefined ? {} : { signal: ctx.signal };
  let table = ticket.table;
  let sysId = ticket.sysId;
  if (table === undefined || sysId === undefined) {
    table = tableOfNumber(ticket.key);
    if (table === undefined) throw new ServiceNowPermanentError('unknown_table', `ServiceNow ticket ${ticket.key}: its table is unknown (only INC and RITM numbers are looked up)`);
    const found = await client.findByNumber(table, ticket.key, options);
    if (found === undefined) throw new ServiceNowPermanentError('ticket_not_found', `ServiceNow ticket ${ticket.key} was not found in ${table}`);
    sysId = found.sysId;
  }
  const [t, id] = [table, sysId];
  await ctx.step('work_note', () => client.addWorkNote(t, id, message.serviceNowText, options));
  // A linked ticket's note is about another ticket's request: it changes nothing else on this ticket.
  if (facts.event === 'linked_to_active_request') return;
  if (settings.commentEvents.includes(facts.event)) await ctx.step('comment', () => client.addComment(t, id, message.serviceNowText, options));
  const update = stateUpdateFor(t, facts, message.closeNotes, settings);
  if (update !== undefined) await ctx.step('state', () => client.updateState(t, id, update, options));
}
