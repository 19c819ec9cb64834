/**
 * The simulated ServiceNow instance's data model: tables of records as plain data, the journal, the accounts that may
 * sign in, and the schema of each served table (plain fields, reference fields, journal fields, choice labels).
 *
 * Like ServiceNow, every stored value is a string; a reference field stores the referenced record's sys_id.
 */
import { randomBytes } from 'node:crypto';

export type TableName = 'incident' | 'sc_req_item' | 'sc_request' | 'sysapproval_approver' | 'sys_user';
export const TABLE_NAMES: readonly TableName[] = ['incident', 'sc_req_item', 'sc_request', 'sysapproval_approver', 'sys_user'];

/** A stored record. Reference fields hold a sys_id, or '' when empty. */
export interface SnRecord {
  sys_id: string;
  [field: string]: string;
}

/** One entry of a journal field (`work_notes`, `comments`), as ServiceNow keeps them in sys_journal_field. */
export interface JournalEntry {
  readonly table: TableName;
  readonly sysId: string;
  readonly field: 'work_notes' | 'comments';
  readonly value: string;
  /** `YYYY-MM-DD HH:mm:ss`, UTC. */
  readonly created_on: string;
  /** The user_name of the writer. */
  readonly created_by: string;
}

export type ApprovalState = 'requested' | 'approved' | 'rejected' | 'cancelled' | 'not_required' | 'not_yet_requested';
export const APPROVAL_STATES: readonly ApprovalState[] = ['requested', 'approved', 'rejected', 'cancelled', 'not_required', 'not_yet_requested'];

/** Who may sign in with Basic auth. The password never appears in a record, a log or a response. */
export interface BasicAccount {
  readonly userName: string;
  readonly password: string;
}

/** An OAuth application registry entry (client-credentials grant); its tokens act as `userName`. */
export interface OAuthClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly userName: string;
}

export interface ServiceNowState {
  readonly tables: Record<TableName, Record<string, SnRecord>>;
  readonly journal: JournalEntry[];
  readonly accounts: BasicAccount[];
  readonly oauthClients: OAuthClient[];
  /** user_names that can read but not write (PATCH answers 403, as an ACL would). */
  readonly readOnlyUsers: string[];
  /** Incident state value → label. */
  incidentStates: Record<string, string>;
  /** Incident states that a data policy closes: they need close_code and close_notes. */
  incidentCloseStates: string[];
  /** Requested item state value → label (these vary by instance, so they are configuration). */
  reqItemStates: Record<string, string>;
  /** Next number per prefix (INC, RITM). */
  readonly counters: Record<string, number>;
}

export const DEFAULT_INCIDENT_STATES: Readonly<Record<string, string>> = {
  '1': 'New',
  '2': 'In Progress',
  '3': 'On Hold',
  '6': 'Resolved',
  '7': 'Closed',
  '8': 'Canceled',
};

/** The out-of-the-box sc_req_item states. */
export const DEFAULT_REQ_ITEM_STATES: Readonly<Record<string, string>> = {
  '-5': 'Pending',
  '1': 'Open',
  '2': 'Work in Progress',
  '3': 'Closed Complete',
  '4': 'Closed Incomplete',
  '7': 'Closed Skipped',
};

const APPROVAL_LABELS: Readonly<Record<string, string>> = {
  requested: 'Requested',
  approved: 'Approved',
  rejected: 'Rejected',
  cancelled: 'Cancelled',
  not_required: 'No Longer Required',
  not_yet_requested: 'Not Yet Requested',
};

export interface TableSchema {
  /** Plain string fields, sys_id excluded. */
  readonly fields: readonly string[];
  /** Reference field → the table it points to (`task` means incident or sc_req_item). */
  readonly references: Readonly<Record<string, TableName | 'task'>>;
  readonly journals: readonly ('work_notes' | 'comments')[];
  /** Fields a PATCH may change; others in a PATCH body are ignored, as ServiceNow ignores unknown fields. */
  readonly writable: readonly string[];
}

const SYS_FIELDS = ['sys_created_on', 'sys_updated_on', 'sys_updated_by', 'sys_mod_count'];
const TASK_FIELDS = ['number', 'short_description', 'state', 'approval', 'close_notes', ...SYS_FIELDS];

export const SCHEMAS: Readonly<Record<TableName, TableSchema>> = {
  incident: {
    fields: [...TASK_FIELDS, 'close_code', 'category', 'u_device_serial'],
    references: { caller_id: 'sys_user' },
    journals: ['work_notes', 'comments'],
    writable: ['state', 'close_code', 'close_notes'],
  },
  sc_req_item: {
    fields: TASK_FIELDS,
    // `request`: the parent request (sc_request). With the default catalog workflow its approval sits there.
    references: { requested_for: 'sys_user', request: 'sc_request' },
    journals: ['work_notes', 'comments'],
    writable: ['state', 'close_notes'],
  },
  sc_request: {
    fields: TASK_FIELDS,
    references: { requested_for: 'sys_user' },
    journals: ['work_notes', 'comments'],
    writable: [],
  },
  sysapproval_approver: {
    fields: ['state', ...SYS_FIELDS],
    references: { approver: 'sys_user', sysapproval: 'task' },
    journals: [],
    writable: [],
  },
  sys_user: {
    fields: ['user_name', 'email', 'name', 'active', ...SYS_FIELDS],
    references: {},
    journals: [],
    writable: [],
  },
};

/** The label of a choice value, for `sysparm_display_value`. */
export function choiceLabel(state: ServiceNowState, table: TableName, field: string, value: string): string {
  if (field === 'state') {
    if (table === 'incident') return state.incidentStates[value] ?? value;
    if (table === 'sc_req_item') return state.reqItemStates[value] ?? value;
    if (table === 'sysapproval_approver') return APPROVAL_LABELS[value] ?? value;
  }
  if (field === 'approval') return APPROVAL_LABELS[value] ?? value;
  return value;
}

export function isTableName(name: string): name is TableName {
  return (TABLE_NAMES as readonly string[]).includes(name);
}

/** A fresh sys_id: 32 lowercase hex characters. */
export function newSysId(): string {
  return randomBytes(16).toString('hex');
}

/** ServiceNow's date-time format in the API (UTC): `2026-03-02 09:00:00`. */
export function glideDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

export function emptyState(): ServiceNowState {
  return {
    tables: { incident: {}, sc_req_item: {}, sc_request: {}, sysapproval_approver: {}, sys_user: {} },
    journal: [],
    accounts: [],
    oauthClients: [],
    readOnlyUsers: [],
    incidentStates: { ...DEFAULT_INCIDENT_STATES },
    incidentCloseStates: ['6', '7'],
    reqItemStates: { ...DEFAULT_REQ_ITEM_STATES },
    counters: { INC: 10001, RITM: 10001, REQ: 10001 },
  };
}

/** Finds the task (incident, requested item or request) with this sys_id. */
export function findTask(state: ServiceNowState, sysId: string): { table: TableName; record: SnRecord } | undefined {
  for (const table of ['incident', 'sc_req_item', 'sc_request'] as const) {
    const record = state.tables[table][sysId];
    if (record !== undefined) return { table, record };
  }
  return undefined;
}
