/**
 * Seeding the simulated instance: users, incidents, requested items and approvals, with ServiceNow's defaults filled in
 * (numbers, timestamps, the task's aggregated `approval` field).
 */
import {
  findTask,
  glideDateTime,
  newSysId,
  type ApprovalState,
  type ServiceNowState,
  type SnRecord,
  type TableName,
} from './model';

export interface UserSeed {
  readonly sys_id?: string;
  readonly user_name: string;
  readonly email?: string;
  readonly name?: string;
  /** When set, the user may sign in with Basic auth. */
  readonly password?: string;
  /** Reads only: writes answer 403. */
  readonly readOnly?: boolean;
}

export interface TicketSeed {
  readonly sys_id?: string;
  /** Default: the next INC…/RITM… number. */
  readonly number?: string;
  readonly short_description?: string;
  /** Default '1' (New / Open). */
  readonly state?: string;
  /** The caller (incident) or requested-for (item): a user_name or a sys_id. */
  readonly requester?: string;
  /** Incident only: the field the documented Business Rule reads the device from. */
  readonly u_device_serial?: string;
  readonly category?: string;
  /** Any other field, stored as given. */
  readonly fields?: Readonly<Record<string, string>>;
}

export interface ApprovalSeed {
  readonly sys_id?: string;
  /** The task: its sys_id or its number. */
  readonly task: string;
  /** The approver: a user_name or a sys_id. */
  readonly approver: string;
  /** Default 'requested'. */
  readonly state?: ApprovalState;
}

function stamp(now: number, user = 'system'): Record<string, string> {
  const at = glideDateTime(now);
  return { sys_created_on: at, sys_updated_on: at, sys_updated_by: user, sys_mod_count: '0' };
}

/** A user by user_name or sys_id. */
export function findUser(state: ServiceNowState, key: string): SnRecord | undefined {
  return state.tables.sys_user[key] ?? Object.values(state.tables.sys_user).find((u) => u.user_name === key);
}

export function addUser(state: ServiceNowState, seed: UserSeed, now: number): SnRecord {
  const sysId = seed.sys_id ?? newSysId();
  const record: SnRecord = {
    sys_id: sysId,
    user_name: seed.user_name,
    email: seed.email ?? '',
    name: seed.name ?? seed.user_name,
    active: 'true',
    ...stamp(now),
  };
  state.tables.sys_user[sysId] = record;
  if (seed.password !== undefined) {
    const others = state.accounts.filter((a) => a.userName !== seed.user_name);
    state.accounts.splice(0, state.accounts.length, ...others, { userName: seed.user_name, password: seed.password });
  }
  if (seed.readOnly === true && !state.readOnlyUsers.includes(seed.user_name)) state.readOnlyUsers.push(seed.user_name);
  return record;
}

function nextNumber(state: ServiceNowState, prefix: string): string {
  const value = state.counters[prefix] ?? 10001;
  state.counters[prefix] = value + 1;
  return `${prefix}${String(value).padStart(7, '0')}`;
}

function userRef(state: ServiceNowState, key: string | undefined): string {
  if (key === undefined) return '';
  const user = findUser(state, key);
  if (user === undefined) throw new Error(`no user ${key} in the ServiceNow sandbox`);
  return user.sys_id;
}

const PREFIX = { incident: 'INC', sc_req_item: 'RITM', sc_request: 'REQ' } as const;

function addTask(state: ServiceNowState, table: 'incident' | 'sc_req_item' | 'sc_request', seed: TicketSeed, now: number): SnRecord {
  const sysId = seed.sys_id ?? newSysId();
  const record: SnRecord = {
    sys_id: sysId,
    number: seed.number ?? nextNumber(state, PREFIX[table]),
    short_description: seed.short_description ?? '',
    state: seed.state ?? '1',
    approval: 'not requested',
    close_notes: '',
    ...stamp(now),
    ...(table === 'incident'
      ? { close_code: '', category: seed.category ?? '', u_device_serial: seed.u_device_serial ?? '', caller_id: userRef(state, seed.requester) }
      : { requested_for: userRef(state, seed.requester) }),
    ...seed.fields,
  };
  state.tables[table][sysId] = record;
  return record;
}

export function addIncident(state: ServiceNowState, seed: TicketSeed, now: number): SnRecord {
  return addTask(state, 'incident', seed, now);
}

/** A requested item, and its parent request (`sc_request`), as the catalog makes them: the item's `request` names it. */
export function addRequestedItem(state: ServiceNowState, seed: TicketSeed, now: number): SnRecord {
  const parent = addTask(state, 'sc_request', { ...(seed.requester === undefined ? {} : { requester: seed.requester }), short_description: seed.short_description ?? '' }, now);
  return addTask(state, 'sc_req_item', { ...seed, fields: { request: parent.sys_id, ...seed.fields } }, now);
}

/** A task by sys_id or number. */
export function findTaskByKey(state: ServiceNowState, key: string): { table: TableName; record: SnRecord } | undefined {
  const bySysId = findTask(state, key);
  if (bySysId !== undefined) return bySysId;
  for (const table of ['incident', 'sc_req_item', 'sc_request'] as const) {
    const record = Object.values(state.tables[table]).find((r) => r.number === key);
    if (record !== undefined) return { table, record };
  }
  return undefined;
}

/** The task's `approval` field summarises its approval rows, as the approval engine keeps it. */
function refreshTaskApproval(state: ServiceNowState, taskSysId: string): void {
  const task = findTask(state, taskSysId);
  if (task === undefined) return;
  const rows = Object.values(state.tables.sysapproval_approver).filter((a) => a.sysapproval === taskSysId);
  const states = rows.map((r) => r.state);
  let summary = 'not requested';
  if (states.includes('rejected')) summary = 'rejected';
  else if (states.includes('requested')) summary = 'requested';
  else if (states.length > 0 && states.every((s) => s === 'approved' || s === 'not_required')) summary = 'approved';
  task.record.approval = summary;
}

export function addApproval(state: ServiceNowState, seed: ApprovalSeed, now: number): SnRecord {
  const task = findTaskByKey(state, seed.task);
  if (task === undefined) throw new Error(`no task ${seed.task} in the ServiceNow sandbox`);
  const sysId = seed.sys_id ?? newSysId();
  const record: SnRecord = {
    sys_id: sysId,
    approver: userRef(state, seed.approver),
    sysapproval: task.record.sys_id,
    state: seed.state ?? 'requested',
    ...stamp(now),
  };
  state.tables.sysapproval_approver[sysId] = record;
  refreshTaskApproval(state, task.record.sys_id);
  return record;
}

/** Records an approver's decision on one approval row, as the approver would in the portal. */
export function decideApproval(state: ServiceNowState, approvalSysId: string, decision: ApprovalState, now: number): SnRecord {
  const row = state.tables.sysapproval_approver[approvalSysId];
  if (row === undefined) throw new Error(`no approval ${approvalSysId} in the ServiceNow sandbox`);
  const approver = state.tables.sys_user[row.approver ?? ''];
  row.state = decision;
  row.sys_updated_on = glideDateTime(now);
  row.sys_updated_by = approver?.user_name ?? 'system';
  row.sys_mod_count = String(Number(row.sys_mod_count ?? '0') + 1);
  refreshTaskApproval(state, row.sysapproval ?? '');
  return row;
}
