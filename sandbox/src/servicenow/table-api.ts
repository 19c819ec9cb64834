/**
 * The Table API routes of the sandbox (docs: "Table API"):
 * - `GET /api/now/table/{tableName}` (list with `sysparm_query`, `sysparm_limit`, `sysparm_offset`; `X-Total-Count`);
 * - `GET /api/now/table/{tableName}/{sys_id}`;
 * - `PATCH /api/now/table/{tableName}/{sys_id}` on `incident` and `sc_req_item`.
 *
 * Choices made where the real instance depends on its configuration:
 * - An unknown table or record is 404 `No Record found` / `Record doesn't exist or ACL restricts the record retrieval`.
 *   (Instances answer an unknown *table* with 400 `Invalid table <name>` on some releases; a client treats both as
 *   permanent.)
 * - A PATCH that moves an incident into a closing state (Resolved 6, Closed 7 by default) without `close_code` and
 *   `close_notes` is refused as the out-of-the-box data policy refuses it: 403, `Operation Failed`,
 *   `Data Policy Exception: The following fields are mandatory: Resolution code, Resolution notes`.
 * - A `state` that is not one of the table's configured choices is refused with 400. (A real instance stores any value
 *   in a choice field; the sandbox is strict so that a wrong state number in configuration shows up in tests.)
 * - Other fields in a PATCH body are ignored, as ServiceNow ignores fields it does not know or may not write.
 * - A user marked read-only gets 403 `ACL Exception Update Failed due to security constraints` on PATCH.
 */
import { glideDateTime, isTableName, SCHEMAS, type ServiceNowState, type SnRecord, type TableName } from './model';
import { pageOptions, parseEncodedQuery, readOptions, TableApiError } from './query';
import { renderRecord } from './render';

export interface TableRequest {
  readonly method: string;
  /** Path segments after /api/now/table/, decoded. */
  readonly segments: readonly string[];
  readonly params: URLSearchParams;
  readonly body: unknown;
  /** The authenticated user_name. */
  readonly user: string;
  readonly baseUrl: string;
  readonly now: number;
}

export interface TableResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

const NOT_FOUND = (): TableApiError => new TableApiError(404, 'No Record found', "Record doesn't exist or ACL restricts the record retrieval");
const ACL_UPDATE = (): TableApiError => new TableApiError(403, 'Operation Failed', 'ACL Exception Update Failed due to security constraints');

const CLOSE_FIELD_LABELS = { close_code: 'Resolution code', close_notes: 'Resolution notes' } as const;

function tableOf(name: string | undefined): TableName {
  if (name === undefined || !isTableName(name)) throw NOT_FOUND();
  return name;
}

function recordOf(state: ServiceNowState, table: TableName, sysId: string | undefined): SnRecord {
  const record = sysId === undefined ? undefined : state.tables[table][sysId];
  if (record === undefined) throw NOT_FOUND();
  return record;
}

function listRecords(state: ServiceNowState, table: TableName, request: TableRequest): TableResponse {
  const terms = parseEncodedQuery(table, request.params.get('sysparm_query'));
  const { limit, offset } = pageOptions(request.params);
  const matches = Object.values(state.tables[table]).filter((r) => terms.every(([field, value]) => (r[field] ?? '') === value));
  const options = { ...readOptions(request.params), baseUrl: request.baseUrl };
  const result = matches.slice(offset, offset + limit).map((r) => renderRecord(state, table, r, options));
  return { status: 200, body: { result }, headers: { 'X-Total-Count': String(matches.length) } };
}

function asFieldValue(field: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new TableApiError(400, 'Exception while reading request', `The value of ${field} is not a string`);
}

function validStates(state: ServiceNowState, table: TableName): Record<string, string> {
  return table === 'incident' ? state.incidentStates : state.reqItemStates;
}

function patchRecord(state: ServiceNowState, table: TableName, record: SnRecord, request: TableRequest): TableResponse {
  if (state.readOnlyUsers.includes(request.user) || (table !== 'incident' && table !== 'sc_req_item')) throw ACL_UPDATE();
  const body = request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new TableApiError(400, 'Exception while reading request', 'The payload is not a JSON object');
  }
  const schema = SCHEMAS[table];
  const changes: Record<string, string> = {};
  const journal: { field: 'work_notes' | 'comments'; value: string }[] = [];
  for (const [field, value] of Object.entries(body)) {
    if ((schema.journals as readonly string[]).includes(field)) {
      const text = asFieldValue(field, value);
      if (text.trim() !== '') journal.push({ field: field as 'work_notes' | 'comments', value: text });
    } else if (schema.writable.includes(field)) {
      changes[field] = asFieldValue(field, value);
    }
  }
  const nextState = changes.state;
  if (nextState !== undefined && validStates(state, table)[nextState] === undefined) {
    throw new TableApiError(400, 'Invalid choice', `${nextState} is not a state of ${table}; the choices are ${Object.keys(validStates(state, table)).join(', ')}`);
  }
  if (table === 'incident' && nextState !== undefined && state.incidentCloseStates.includes(nextState)) {
    const merged = { ...record, ...changes };
    const missing = (['close_code', 'close_notes'] as const).filter((f) => (merged[f] ?? '').trim() === '');
    if (missing.length > 0) {
      throw new TableApiError(403, 'Operation Failed', `Data Policy Exception: \n\tThe following fields are mandatory: ${missing.map((f) => CLOSE_FIELD_LABELS[f]).join(', ')}\n`);
    }
  }
  const at = glideDateTime(request.now);
  Object.assign(record, changes);
  for (const entry of journal) state.journal.push({ table, sysId: record.sys_id, field: entry.field, value: entry.value, created_on: at, created_by: request.user });
  record.sys_updated_on = at;
  record.sys_updated_by = request.user;
  record.sys_mod_count = String(Number(record.sys_mod_count ?? '0') + 1);
  const options = { ...readOptions(request.params), baseUrl: request.baseUrl };
  return { status: 200, body: { result: renderRecord(state, table, record, options) } };
}

export function handleTableRequest(state: ServiceNowState, request: TableRequest): TableResponse {
  const [tableName, sysId, ...rest] = request.segments;
  if (rest.length > 0 || tableName === undefined || tableName === '') {
    throw new TableApiError(400, 'Requested URI does not represent any resource', null);
  }
  const table = tableOf(tableName);
  if (sysId === undefined || sysId === '') {
    if (request.method === 'GET') return listRecords(state, table, request);
    throw new TableApiError(405, 'Method not Supported', `${request.method} is not supported on a table in the sandbox`);
  }
  const record = recordOf(state, table, sysId);
  if (request.method === 'GET') {
    return { status: 200, body: { result: renderRecord(state, table, record, { ...readOptions(request.params), baseUrl: request.baseUrl }) } };
  }
  if (request.method === 'PATCH' || request.method === 'PUT') return patchRecord(state, table, record, request);
  throw new TableApiError(405, 'Method not Supported', `${request.method} is not supported on a record in the sandbox`);
}
