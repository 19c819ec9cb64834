/**
 * What a ticket asks for, read from its system of record: the device it names and the person it is for. An approval
 * authorises one reset, of the device its ticket names, for that ticket's requester. So a request that cites a ticket
 * is built from this reading, never from what an API caller says about the ticket, and the product writes only to
 * tickets of the projects and tables it is configured for.
 *
 * - Jira: `GET /rest/api/3/issue/{key}` and the same mapping as the webhook (project, issue type, request type,
 *   device field, reporter's visible email).
 * - ServiceNow: `GET /api/now/table/incident?sysparm_query=number=…` with the device field and the caller's email
 *   dot-walked (`caller_id.email`), as the shipped Business Rule reads them. A requested item names its device in a
 *   catalog variable, which the Table API does not document as readable: it can come in through the Business Rule
 *   only (docs/sandbox.md lists this as uncertain).
 */
import { isDeviceValue, isRequesterEmail, mapJiraDelivery, ticketText, type JiraMapping } from '../domain/jira-mapping';
import { SERVICENOW_NUMBER } from '../domain/identifiers';
import type { TicketScopeSection } from '../config/sections';
import type { AtlassianAccount, DeviceKind, DeviceRef, TicketRef } from '../domain/request';
import { JiraNotFoundError, type JiraClient } from './jira';
import type { ServiceNowClient } from './servicenow';

/** Which tickets the product serves, from configuration. */
export interface TicketScope {
  readonly jira: JiraMapping;
  readonly servicenow: {
    readonly tables: readonly string[];
    readonly deviceField: string;
    readonly deviceKind: DeviceKind;
  };
}

export type TicketRefusal =
  | 'ticket_system_not_configured'
  | 'ticket_not_in_scope'
  | 'ticket_not_found'
  | 'ticket_not_verifiable'
  | 'ticket_without_device'
  | 'ticket_without_requester';

export type TicketReading =
  | {
      readonly kind: 'found';
      readonly ticket: TicketRef;
      readonly device: DeviceRef;
      readonly requestedBy: string;
      /** Jira: the reporter's account, which approvals are compared with. */
      readonly requesterAccount?: AtlassianAccount;
      readonly reason: string;
    }
  | { readonly kind: 'refused'; readonly code: TicketRefusal; readonly message: string };

export interface TicketReader {
  /** Reads the ticket from its system of record. Remote failures other than "no such ticket" are thrown as they are. */
  read(ticket: Pick<TicketRef, 'system' | 'key'>, signal?: AbortSignal): Promise<TicketReading>;
  /** True when this reader has an account for the system: its tickets' approvals can be read and answers written. */
  connected(system: TicketRef['system']): boolean;
}

const TABLE_BY_PREFIX: Readonly<Record<string, string>> = { INC: 'incident', RITM: 'sc_req_item' };

/** The ServiceNow table a ticket lives in: the one it names, else the one its number's prefix stands for. */
export function serviceNowTableOf(ticket: Pick<TicketRef, 'key' | 'table'>): string | undefined {
  if (ticket.table !== undefined) return ticket.table;
  const prefix = /^([A-Z]+)\d+$/i.exec(ticket.key)?.[1]?.toUpperCase();
  return prefix === undefined ? undefined : TABLE_BY_PREFIX[prefix];
}

/** True when the product serves this ticket: a configured Jira project, or a configured ServiceNow table. */
export function ticketInScope(scope: TicketScope, ticket: Pick<TicketRef, 'system' | 'key' | 'table'>): boolean {
  if (ticket.system === 'jira') {
    const project = ticket.key.split('-')[0]?.toUpperCase();
    return project !== undefined && scope.jira.projects.some((p) => p.toUpperCase() === project);
  }
  const table = serviceNowTableOf(ticket);
  return table !== undefined && scope.servicenow.tables.includes(table);
}

const refused = (code: TicketRefusal, message: string): TicketReading => ({ kind: 'refused', code, message });

export function createTicketReader(deps: { readonly scope: TicketScope; readonly jira?: JiraClient; readonly servicenow?: ServiceNowClient; readonly now?: () => number }): TicketReader {
  const { scope } = deps;
  const now = deps.now ?? Date.now;

  async function readJira(key: string, signal: AbortSignal | undefined): Promise<TicketReading> {
    if (deps.jira === undefined) return refused('ticket_system_not_configured', 'Jira is not configured (JIRA_SITE_URL, JIRA_EMAIL, JIRA_API_TOKEN)');
    const mapping = scope.jira;
    if (!ticketInScope(scope, { system: 'jira', key })) return refused('ticket_not_in_scope', `${key} is not in a Jira project this product serves (JIRA_PROJECTS)`);
    const fields = ['summary', 'project', 'issuetype', 'reporter', mapping.requestTypeField, mapping.deviceField];
    let issue;
    try {
      issue = await deps.jira.getIssue(key, { fields, ...(signal === undefined ? {} : { signal }) });
    } catch (err) {
      if (err instanceof JiraNotFoundError) return refused('ticket_not_found', `Jira has no issue ${key} that this product may read`);
      throw err;
    }
    // The issue as Jira holds it now goes through the webhook's own mapping: the same rules, whichever way it came in.
    const mapped = mapJiraDelivery({ webhookEvent: 'jira:issue_created', timestamp: now(), issue: { key: issue.key, fields: issue.fields } }, mapping);
    if (mapped.kind === 'ignored') {
      const code: TicketRefusal = mapped.why === 'no_device' ? 'ticket_without_device' : mapped.why === 'no_requester' ? 'ticket_without_requester' : 'ticket_not_in_scope';
      return refused(code, `Jira issue ${issue.key} does not ask for a reset: ${mapped.reason}`);
    }
    return { kind: 'found', ticket: mapped.ticket, device: mapped.device, requestedBy: mapped.requestedBy, requesterAccount: mapped.requesterAccount, reason: mapped.reason };
  }

  async function readServiceNow(key: string, signal: AbortSignal | undefined): Promise<TicketReading> {
    if (deps.servicenow === undefined) return refused('ticket_system_not_configured', 'ServiceNow is not configured (SERVICENOW_INSTANCE_URL, SERVICENOW_USERNAME, SERVICENOW_PASSWORD)');
    if (!SERVICENOW_NUMBER.test(key)) return refused('ticket_not_verifiable', 'Cite a ServiceNow ticket by its number, such as INC0010001');
    const table = serviceNowTableOf({ key });
    if (table === undefined || !scope.servicenow.tables.includes(table)) return refused('ticket_not_in_scope', `${key} is not in a ServiceNow table this product serves (SERVICENOW_TABLES)`);
    if (table !== 'incident') {
      return refused('ticket_not_verifiable', `${key} is a requested item: its device is in a catalog variable that the product does not read back, so only the Business Rule can send it`);
    }
    const { deviceField, deviceKind } = scope.servicenow;
    const record = await deps.servicenow.findFieldsByNumber(table, key, [deviceField, 'caller_id.email', 'caller_id.user_name', 'short_description'], signal === undefined ? {} : { signal });
    if (record === undefined) return refused('ticket_not_found', `ServiceNow has no ${table} ${key} that this product may read`);
    const device = (record[deviceField] ?? '').trim();
    if (device === '' || !isDeviceValue(deviceKind, device)) return refused('ticket_without_device', `${key}'s field ${deviceField} does not hold a valid ${deviceKind}`);
    const email = (record['caller_id.email'] ?? '').trim();
    const userName = (record['caller_id.user_name'] ?? '').trim();
    const requestedBy = email !== '' ? email : userName;
    if (!isRequesterEmail(requestedBy)) return refused('ticket_without_requester', `${key}'s caller has no email address`);
    const sysId = record.sys_id;
    return {
      kind: 'found',
      ticket: { system: 'servicenow', key: record.number ?? key, table, ...(sysId === undefined ? {} : { sysId }) },
      device: { kind: deviceKind, value: device },
      requestedBy,
      reason: ticketText(`ServiceNow ${key}: ${record.short_description ?? ''}`),
    };
  }

  return {
    async read(ticket, signal) {
      return ticket.system === 'jira' ? readJira(ticket.key, signal) : readServiceNow(ticket.key, signal);
    },
    connected(system) {
      return system === 'jira' ? deps.jira !== undefined : deps.servicenow !== undefined;
    },
  };
}

/** The scope from configuration: JIRA_* mapping, SERVICENOW_TABLES and the incident's device field. */
export function ticketScopeOf(config: TicketScopeSection): TicketScope {
  return {
    jira: {
      projects: config.JIRA_PROJECTS,
      issueTypes: config.JIRA_ISSUE_TYPES,
      requestTypes: config.JIRA_REQUEST_TYPES,
      requestTypeField: config.JIRA_REQUEST_TYPE_FIELD,
      deviceField: config.JIRA_DEVICE_FIELD,
      deviceKind: config.JIRA_DEVICE_KIND,
    },
    servicenow: { tables: config.SERVICENOW_TABLES, deviceField: config.SERVICENOW_DEVICE_FIELD, deviceKind: config.SERVICENOW_DEVICE_KIND },
  };
}

/** A reader bound later: `npm start` starts the intake before the sandbox it reads from. Until bound, it refuses. */
export function deferredTicketReader(): TicketReader & { bind(reader: TicketReader): void } {
  let bound: TicketReader | undefined;
  return {
    bind(reader) {
      bound = reader;
    },
    connected(system) {
      return bound?.connected(system) ?? false;
    },
    async read(ticket, signal) {
      if (bound === undefined) return refused('ticket_system_not_configured', 'The ticketing systems are not connected yet; retry in a moment');
      return bound.read(ticket, signal);
    },
  };
}
