/**
 * Glossary (the words used everywhere: code, logs, API, dashboard, docs):
 *
 * - request:      one ask to reset the passcode of one device. It has an id, a state and a timeline.
 * - ticket:       the help-desk record in ServiceNow or Jira that a request came from or reports to.
 * - device:       the Intune managed device, named by one identifier (see DeviceRef).
 * - action:       the Graph device action (`resetPasscode`) and its reported state.
 * - step:         one short unit of work of the reset workflow (a worker concern).
 * - outcome:      the final state of a request, with a reason.
 * - notification: one message about a request event on one channel (ticket or email).
 * - caller:       who asked: an API token's name, or a webhook source.
 */

const ACTIVE = ['received', 'checking_eligibility', 'awaiting_approval', 'approved', 'submitting', 'awaiting_device'] as const;
const FINAL = ['succeeded', 'failed', 'ineligible', 'rejected', 'expired', 'timed_out', 'cancelled'] as const;

/** Every state, in the order a request moves through them (ARCHITECTURE.md). */
export const REQUEST_STATES = [...ACTIVE, ...FINAL] as const;

export type RequestState = (typeof REQUEST_STATES)[number];

/** A request in a final state is finished: its locks are released and it never changes again. */
export const FINAL_STATES: ReadonlySet<RequestState> = new Set<RequestState>(FINAL);

export function isFinal(state: RequestState): boolean {
  return FINAL_STATES.has(state);
}

export const DEVICE_KINDS = ['id', 'azureADDeviceId', 'serialNumber', 'deviceName'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** How a request names its device. Exactly one identifier. */
export interface DeviceRef {
  readonly kind: DeviceKind;
  readonly value: string;
}

export const TICKET_SYSTEMS = ['servicenow', 'jira'] as const;
export type TicketSystem = (typeof TICKET_SYSTEMS)[number];

export interface TicketRef {
  readonly system: TicketSystem;
  /** Jira issue key (`HD-42`) or ServiceNow number (`INC0010001`). */
  readonly key: string;
  /** ServiceNow only: the table and sys_id, when the webhook told us. */
  readonly table?: string;
  readonly sysId?: string;
}

export type RequestSource = 'api' | 'jira' | 'servicenow';

/**
 * The requester's Atlassian account, for a request from a Jira ticket. Jira identifies people by accountId; their
 * email shows only where their profile visibility allows (often not), so approvals are checked on accountIds.
 */
export interface AtlassianAccount {
  readonly accountId: string;
  readonly displayName?: string;
}

/** The prefix of a `requestedBy` that names an Atlassian account because its email is hidden: `atlassian:<accountId>`. */
export const ATLASSIAN_IDENTITY_PREFIX = 'atlassian:';

/**
 * What a timeline entry that does not move the request records. `approval_recorded`: an approval given through the
 * API or the dashboard (the worker then moves the request to `approved`). `note`: any other entry that leaves the
 * state as it was (a notification written, a submission held, a ticket linked).
 */
export const TIMELINE_EVENTS = ['approval_recorded', 'note'] as const;
export type TimelineEvent = (typeof TIMELINE_EVENTS)[number];

/**
 * One line of a request's timeline: a move (`from` → `to`), or an event that leaves the request where it is. An event
 * keeps `from` and `to` equal to the state the request stayed in, so every reader of moves passes over it.
 */
export interface TimelineEntry {
  readonly at: string;
  readonly from: RequestState | null;
  readonly to: RequestState;
  readonly actor: string;
  readonly reason: string;
  readonly details?: Readonly<Record<string, unknown>>;
  /** Set on an event entry; entries written before events had a name are `note`s (see `timelineEventOf`). */
  readonly event?: TimelineEvent;
}

/** The event an entry records, or undefined for a move. An unnamed entry that leaves the state as it was is a `note`. */
export function timelineEventOf(entry: TimelineEntry): TimelineEvent | undefined {
  return entry.event ?? (entry.from === entry.to ? 'note' : undefined);
}

export interface ResetRequest {
  readonly id: string;
  readonly state: RequestState;
  readonly device: DeviceRef;
  /** The person whose device is locked: an email or UPN, or `atlassian:<accountId>` when Jira hides their email. */
  readonly requestedBy: string;
  /** Set for a request from a Jira ticket: the reporter's account, compared with the approvers' accounts. */
  readonly requesterAccount?: AtlassianAccount;
  readonly reason?: string;
  readonly ticket?: TicketRef;
  /** Other tickets that asked for the same device while this request was active. */
  readonly linkedTickets: readonly TicketRef[];
  readonly source: RequestSource;
  /** The caller that submitted it: an API token's name, or `webhook:jira` / `webhook:servicenow`. */
  readonly submittedBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A device identifier normalised for comparison: lock keys and indexes use it. */
export function deviceKey(device: DeviceRef): string {
  return `${device.kind}:${device.value.trim().toLowerCase()}`;
}

export function ticketKey(ticket: TicketRef): string {
  return `${ticket.system}:${ticket.key.toUpperCase()}`;
}

/** How people read the requester: the email, or for a Jira reporter whose email is hidden, their name and account. */
export function requesterLabel(request: Pick<ResetRequest, 'requestedBy' | 'requesterAccount'>): string {
  const account = request.requesterAccount;
  if (account === undefined || !request.requestedBy.startsWith(ATLASSIAN_IDENTITY_PREFIX)) return request.requestedBy;
  return account.displayName === undefined ? `Atlassian account ${account.accountId}` : `${account.displayName} (Atlassian account ${account.accountId})`;
}
