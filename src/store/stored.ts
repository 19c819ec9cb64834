import { z } from 'zod';
import { StoredDataError, type StoredKind } from './errors';

/**
 * How a record is stored in Redis, and read back: JSON with a version, `v`, checked against a schema on every read.
 *
 * The rule (docs/adr/drafts/redis-ports.md):
 * - Every record is written with `v`, its format's current version. A record without `v` was written before records
 *   carried one, and is version 1: the shape every record had then.
 * - A reader reads only the versions it knows. Any other `v` is a StoredDataError naming the kind, the key and the
 *   version: a newer process wrote it (a rolling upgrade), so this one stops instead of guessing.
 * - A change of shape that an older reader would misread (a field renamed, retyped or made required; a new field that
 *   must survive a rewrite) is a new version. Fields the schema does not name are dropped when read.
 * - A record of a known version that does not match its schema is a StoredDataError too (`invalid`).
 */
export interface StoredFormat<T> {
  readonly kind: StoredKind;
  /** The version written now. */
  readonly version: number;
  /** The record as stored: JSON with `v` first. */
  encode(value: T): string;
  /** Parses and checks a stored JSON value; `key` names it in the error. */
  decode(raw: string, key: string): T;
  /** Checks a stored value that is already an object (a hash's fields); a `v` field may be a string. */
  check(value: unknown, key: string): T;
}

/** The version a stored object says it is: its `v`, or 1 when it has none. */
export function storedVersion(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || !('v' in value)) return 1;
  const v = value.v;
  return typeof v === 'string' && /^\d{1,6}$/.test(v) ? Number(v) : v;
}

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length === 0 ? '(record)' : i.path.join('.')}: ${i.message}`)
    .join('; ');
}

/** An object schema names every field of `T`; a union of objects (a discriminated record) is checked option by option. */
type Complete<T> = { readonly shape: { readonly [K in keyof Required<T>]: unknown } } | { readonly options: readonly unknown[] };

/**
 * A stored format for records of type `T`. An object schema must name every field of `T` (`shape`), so a field added
 * to the type and not to the schema is a compile error rather than a field silently dropped on read.
 */
export function storedFormat<T extends object>(kind: StoredKind, schema: z.ZodType<T> & Complete<T>, version = 1): StoredFormat<T> {
  const check = (value: unknown, key: string): T => {
    const v = storedVersion(value);
    if (v !== version) throw new StoredDataError(kind, key, v, 'unknown_version', `it reads version ${String(version)}`);
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new StoredDataError(kind, key, v, 'invalid', describe(parsed.error));
    return parsed.data;
  };
  return {
    kind,
    version,
    encode: (value) => JSON.stringify({ v: version, ...value }),
    check,
    decode(raw, key) {
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        throw new StoredDataError(kind, key, 1, 'invalid', 'not JSON');
      }
      return check(value, key);
    },
  };
}

/**
 * Reads a record for a total (metrics, counts) that must not stop at one damaged record: a record of the wrong shape
 * is skipped (undefined); a record of an unknown version still fails, so a newer process's data is left for it.
 */
export function unlessInvalid<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (err) {
    if (err instanceof StoredDataError && err.problem === 'invalid') return undefined;
    throw err;
  }
}
