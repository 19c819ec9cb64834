import { DEVICE_NAME, GUID, JIRA_ISSUE_KEY, SERIAL_NUMBER } from './identifiers';
import { ATLASSIAN_IDENTITY_PREFIX, type AtlassianAccount, type DeviceKind, type DeviceRef, type TicketRef } from './request';

/** Which Jira issues become reset requests, and where the device is. From configuration. */
export interface JiraMapping {
  readonly projects: readonly string[];
  readonly issueTypes: readonly string[];
  readonly requestTypes: readonly string[];
  readonly requestTypeField: string;
  readonly deviceField: string;
  readonly deviceKind: DeviceKind;
}

/** The parts of a Jira Cloud webhook delivery that the mapping reads (the rest is ignored). */
export interface JiraDelivery {
  readonly webhookEvent: string;
  readonly timestamp: number;
  readonly issue?: {
    readonly key: string;
    readonly fields?: Readonly<Record<string, unknown>>;
  };
}

export type JiraMappingResult =
  | {
      readonly kind: 'request';
      readonly device: DeviceRef;
      /** The reporter's email when Jira shows it, else `atlassian:<accountId>`. */
      readonly requestedBy: string;
      readonly requesterAccount: AtlassianAccount;
      readonly reason: string;
      readonly ticket: TicketRef;
    }
  | { readonly kind: 'ignored'; readonly why: IgnoredWhy; readonly reason: string };

/** Why a delivery asks for no reset: not an event that triggers one, an issue outside the mapping, or one that lacks a field. */
export type IgnoredWhy = 'not_a_trigger' | 'not_in_scope' | 'no_device' | 'no_requester';

const TRIGGER_EVENTS = new Set(['jira:issue_created', 'jira:issue_updated']);
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,189}$/;
/** Atlassian account ids: `557058:…` or 24 hex-like characters; letters, digits, `:` and `-`. */
const ACCOUNT_ID = /^[A-Za-z0-9:-]{1,128}$/;

const FORMATS: Readonly<Record<DeviceKind, RegExp>> = {
  id: GUID,
  azureADDeviceId: GUID,
  serialNumber: SERIAL_NUMBER,
  deviceName: DEVICE_NAME,
};

/** True when `value` has the format of a `kind` identifier (the same check for every ticket system). */
export function isDeviceValue(kind: DeviceKind, value: string): boolean {
  return FORMATS[kind].test(value);
}

/** True when `value` looks like an email address or UPN, as a ticket's requester must. */
export function isRequesterEmail(value: string): boolean {
  return EMAIL.test(value);
}

/** Free text from a ticket made safe for a request's `reason`: no control, bidi or line-separator characters; 500 at most. */
export function ticketText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g, ' ').slice(0, 500);
}

function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  // Select-list custom fields arrive as { value: "…" }.
  if (value !== null && typeof value === 'object' && 'value' in value && typeof value.value === 'string') return value.value;
  return undefined;
}

function nameOf(value: unknown): string | undefined {
  if (value !== null && typeof value === 'object' && 'name' in value && typeof value.name === 'string') return value.name;
  return undefined;
}

function field(fields: Readonly<Record<string, unknown>>, name: string): unknown {
  return Object.hasOwn(fields, name) ? fields[name] : undefined;
}

const includes = (list: readonly string[], value: string | undefined): boolean =>
  list.length === 0 || (value !== undefined && list.some((v) => v.toLowerCase() === value.toLowerCase()));

/** Pure: decides whether a Jira delivery asks for a reset, and with what. Every "no" has a reason. */
export function mapJiraDelivery(delivery: JiraDelivery, mapping: JiraMapping): JiraMappingResult {
  if (!TRIGGER_EVENTS.has(delivery.webhookEvent)) return { kind: 'ignored', why: 'not_a_trigger', reason: `event ${delivery.webhookEvent} does not trigger resets` };
  const issue = delivery.issue;
  if (issue === undefined || !JIRA_ISSUE_KEY.test(issue.key)) return { kind: 'ignored', why: 'not_a_trigger', reason: 'the delivery has no valid issue key' };
  const fields = issue.fields ?? {};
  const project = (field(fields, 'project') as { key?: unknown } | undefined)?.key;
  const projectKey = typeof project === 'string' ? project : issue.key.split('-')[0];
  if (!includes(mapping.projects, projectKey)) return { kind: 'ignored', why: 'not_in_scope', reason: `project ${projectKey ?? '?'} is not configured` };
  const issueType = nameOf(field(fields, 'issuetype'));
  if (!includes(mapping.issueTypes, issueType)) return { kind: 'ignored', why: 'not_in_scope', reason: `issue type ${issueType ?? '(none)'} is not configured` };
  const requestTypeValue = field(fields, mapping.requestTypeField) as { requestType?: unknown } | undefined;
  const requestType = nameOf(requestTypeValue?.requestType);
  if (!includes(mapping.requestTypes, requestType)) return { kind: 'ignored', why: 'not_in_scope', reason: `request type ${requestType ?? '(none)'} is not configured` };

  const raw = textOf(field(fields, mapping.deviceField))?.trim();
  if (raw === undefined || raw === '') return { kind: 'ignored', why: 'no_device', reason: `field ${mapping.deviceField} holds no device` };
  if (!FORMATS[mapping.deviceKind].test(raw)) {
    return { kind: 'ignored', why: 'no_device', reason: `field ${mapping.deviceField} does not hold a valid ${mapping.deviceKind}` };
  }
  // People are accountIds: the email shows only where the reporter's profile visibility allows it (often not).
  const reporter = field(fields, 'reporter') as { accountId?: unknown; emailAddress?: unknown; displayName?: unknown } | null | undefined;
  const accountId = typeof reporter?.accountId === 'string' && ACCOUNT_ID.test(reporter.accountId) ? reporter.accountId : undefined;
  if (accountId === undefined) return { kind: 'ignored', why: 'no_requester', reason: 'the issue has no reporter account' };
  const email = typeof reporter?.emailAddress === 'string' && EMAIL.test(reporter.emailAddress) ? reporter.emailAddress : undefined;
  const displayName = typeof reporter?.displayName === 'string' ? ticketText(reporter.displayName).slice(0, 100) : undefined;
  const summary = textOf(field(fields, 'summary')) ?? '';
  const reason = ticketText(`Jira ${issue.key}: ${summary}`);
  return {
    kind: 'request',
    device: { kind: mapping.deviceKind, value: raw },
    requestedBy: email ?? `${ATLASSIAN_IDENTITY_PREFIX}${accountId}`,
    requesterAccount: { accountId, ...(displayName === undefined || displayName.trim() === '' ? {} : { displayName }) },
    reason,
    ticket: { system: 'jira', key: issue.key },
  };
}
