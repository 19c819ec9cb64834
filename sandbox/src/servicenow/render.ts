/**
 * How the Table API shows a record (docs: "Table API", query parameters `sysparm_fields`, `sysparm_display_value`,
 * `sysparm_exclude_reference_link`):
 *
 * - `sysparm_display_value=false` (default): stored values; a reference is `{link, value}` (or the bare sys_id when
 *   `sysparm_exclude_reference_link=true`).
 * - `true`: display values (choice labels, the referenced record's display name); a reference is `{display_value, link}`.
 * - `all`: every field is `{display_value, value}`, a reference `{display_value, link, value}`.
 * - `sysparm_fields` may dot-walk one reference (`approver.email`); the result key keeps the dot.
 * - Journal fields (`work_notes`, `comments`) are write-only in practice: with display values off they read as `""`,
 *   whatever was written. With display values on, they read as the whole journal, newest first, each entry
 *   `"<created_on> - <user name> (Work notes)\n<text>\n\n"`. The entries themselves are kept in the state's journal.
 */
import { choiceLabel, findTask, SCHEMAS, type ServiceNowState, type SnRecord, type TableName } from './model';

export type DisplayMode = 'false' | 'true' | 'all';

export interface RenderOptions {
  readonly fields: readonly string[] | undefined;
  readonly display: DisplayMode;
  readonly excludeReferenceLink: boolean;
  /** The instance's base URL (origin plus any mount prefix), for reference links. */
  readonly baseUrl: string;
}

const JOURNAL_LABELS = { work_notes: 'Work notes', comments: 'Additional comments' } as const;

function referenced(state: ServiceNowState, target: TableName | 'task', sysId: string): { table: TableName; record: SnRecord } | undefined {
  if (target === 'task') return findTask(state, sysId);
  const record = state.tables[target][sysId];
  return record === undefined ? undefined : { table: target, record };
}

function displayName(table: TableName, record: SnRecord): string {
  if (table === 'sys_user') return record.name ?? '';
  return record.number ?? record.sys_id;
}

function journalText(state: ServiceNowState, table: TableName, record: SnRecord, field: 'work_notes' | 'comments'): string {
  return state.journal
    .filter((e) => e.table === table && e.sysId === record.sys_id && e.field === field)
    .reverse()
    .map((e) => `${e.created_on} - ${state.tables.sys_user[userSysId(state, e.created_by)]?.name ?? e.created_by} (${JOURNAL_LABELS[field]})\n${e.value}\n\n`)
    .join('');
}

function userSysId(state: ServiceNowState, userName: string): string {
  return Object.values(state.tables.sys_user).find((u) => u.user_name === userName)?.sys_id ?? '';
}

function plain(display: DisplayMode, value: string, label: string): unknown {
  if (display === 'false') return value;
  if (display === 'true') return label;
  return { display_value: label, value };
}

function renderField(state: ServiceNowState, table: TableName, record: SnRecord, field: string, options: RenderOptions): unknown {
  const schema = SCHEMAS[table];
  const dot = field.indexOf('.');
  if (dot > 0) {
    const target = schema.references[field.slice(0, dot)];
    if (target === undefined) return undefined;
    const ref = referenced(state, target, record[field.slice(0, dot)] ?? '');
    if (ref === undefined) return plain(options.display, '', '');
    return renderField(state, ref.table, ref.record, field.slice(dot + 1), { ...options, fields: undefined });
  }
  if ((schema.journals as readonly string[]).includes(field)) {
    const text = options.display === 'false' ? '' : journalText(state, table, record, field as 'work_notes' | 'comments');
    return plain(options.display, '', text);
  }
  const target = schema.references[field];
  if (target !== undefined) {
    const sysId = record[field] ?? '';
    if (sysId === '') return options.display === 'all' ? { display_value: '', value: '' } : '';
    const ref = referenced(state, target, sysId);
    const name = ref === undefined ? '' : displayName(ref.table, ref.record);
    const link = `${options.baseUrl}/api/now/table/${ref?.table ?? target}/${sysId}`;
    if (options.display === 'false') return options.excludeReferenceLink ? sysId : { link, value: sysId };
    if (options.display === 'true') return options.excludeReferenceLink ? name : { display_value: name, link };
    return options.excludeReferenceLink ? { display_value: name, value: sysId } : { display_value: name, link, value: sysId };
  }
  if (field !== 'sys_id' && !schema.fields.includes(field)) return undefined;
  const value = record[field] ?? '';
  return plain(options.display, value, choiceLabel(state, table, field, value));
}

/** All fields of a table, in the order ServiceNow would list them (close enough: sys_id first). */
function allFields(table: TableName): string[] {
  const schema = SCHEMAS[table];
  return ['sys_id', ...schema.fields, ...Object.keys(schema.references), ...schema.journals];
}

export function renderRecord(state: ServiceNowState, table: TableName, record: SnRecord, options: RenderOptions): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const field of options.fields ?? allFields(table)) {
    const value = renderField(state, table, record, field, options);
    // Unknown fields in sysparm_fields are left out of the result, as ServiceNow does.
    if (value !== undefined) result[field] = value;
  }
  return result;
}
