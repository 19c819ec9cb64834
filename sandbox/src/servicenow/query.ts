/**
 * The Table API's query parameters, the sandbox's subset:
 * - `sysparm_query`: only `field=value` terms joined by `^` (AND), on fields the table has. Anything else (`^OR`,
 *   `^NQ`, `!=`, `LIKE`, `ORDERBY`, unknown fields) is refused with 400. A real instance is more lenient: by default it
 *   ignores an invalid condition and may return every row. The sandbox is strict, so a bad query is a test failure
 *   instead of a silent full-table read.
 * - `sysparm_limit` (a positive integer; default 10000), `sysparm_offset`, `sysparm_fields`, `sysparm_display_value`
 *   (`true`, `false`, `all`), `sysparm_exclude_reference_link`.
 */
import { SCHEMAS, type TableName } from './model';
import type { DisplayMode } from './render';

export class TableApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly detail: string | null,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export type QueryTerm = readonly [field: string, value: string];

const TERM = /^([a-z_][a-z0-9_]*)=([^=^]*)$/;

export function parseEncodedQuery(table: TableName, query: string | null): QueryTerm[] {
  if (query === null || query === '') return [];
  const schema = SCHEMAS[table];
  const known = new Set(['sys_id', ...schema.fields, ...Object.keys(schema.references)]);
  return query.split('^').map((term) => {
    const match = TERM.exec(term);
    const field = match?.[1];
    if (field === undefined || !known.has(field)) {
      throw new TableApiError(400, 'Invalid query', `The sandbox supports only field=value terms joined by ^ on fields of ${table}; refused: ${term.slice(0, 100)}`);
    }
    return [field, match?.[2] ?? ''] as const;
  });
}

export interface ReadOptions {
  readonly fields: readonly string[] | undefined;
  readonly display: DisplayMode;
  readonly excludeReferenceLink: boolean;
}

export function readOptions(params: URLSearchParams): ReadOptions {
  const fieldsParam = params.get('sysparm_fields');
  const fields = fieldsParam === null || fieldsParam.trim() === '' ? undefined : fieldsParam.split(',').map((f) => f.trim()).filter((f) => f !== '');
  const displayParam = (params.get('sysparm_display_value') ?? 'false').toLowerCase();
  const display: DisplayMode = displayParam === 'true' || displayParam === 'all' ? displayParam : 'false';
  return { fields, display, excludeReferenceLink: params.get('sysparm_exclude_reference_link') === 'true' };
}

function nonNegativeInt(params: URLSearchParams, name: string, fallback: number, min: number): number {
  const raw = params.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < min) {
    throw new TableApiError(400, `Invalid value given for ${name}`, `${name} value must be a ${min > 0 ? 'positive' : 'non-negative'} integer`);
  }
  return Number(raw);
}

export function pageOptions(params: URLSearchParams): { limit: number; offset: number } {
  return { limit: nonNegativeInt(params, 'sysparm_limit', 10000, 1), offset: nonNegativeInt(params, 'sysparm_offset', 0, 0) };
}
