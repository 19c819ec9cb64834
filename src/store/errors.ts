import { isProgrammingError } from '../domain/programming-error';

/** Redis could not be reached or refused the write. The intake answers 503 with Retry-After. */
export class StoreUnavailableError extends Error {
  readonly code = 'unavailable';
  constructor(cause: unknown) {
    super('The request store (Redis) is unavailable', { cause });
    this.name = 'StoreUnavailableError';
  }
}

/**
 * Runs a Redis operation and turns its failure into StoreUnavailableError. A bug in our own code (a TypeError and the
 * like) and a stored record this version cannot read are passed on as they are: neither is Redis being unavailable,
 * and a 503 would invite a retry that fails the same way.
 */
export async function storeCall<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (isProgrammingError(err) || err instanceof StoredDataError || err instanceof StoreUnavailableError) throw err;
    throw new StoreUnavailableError(err);
  }
}

/**
 * Redis failed while a request's commit was on the wire, and could not be asked whether it was applied: the request
 * may exist. The intake says so (never "nothing was stored"); a retry with the same Idempotency-Key finds it.
 */
export class StoreOutcomeUnknownError extends StoreUnavailableError {
  constructor(
    cause: unknown,
    readonly requestId: string,
  ) {
    super(cause);
    this.name = 'StoreOutcomeUnknownError';
  }
}

/** What is stored in Redis, as StoredDataError names it. */
export type StoredKind =
  | 'request'
  | 'workflow'
  | 'timeline entry'
  | 'linked ticket'
  | 'idempotency record'
  | 'tenant pause'
  | 'blast-radius limit'
  | 'tenant action'
  | 'session'
  | 'notification';

/**
 * A record read back from Redis is of a version this process does not read, or is not the shape its version promises.
 * Typically a rolling upgrade: a newer process wrote a newer version. Never retried as if Redis were down, never
 * read past: the caller fails loudly, and the record stays as it is for a process that can read it.
 */
export class StoredDataError extends Error {
  readonly code = 'stored_data_invalid';
  constructor(
    readonly kind: StoredKind,
    readonly key: string,
    /** The version the record says it is (1 when it says nothing). */
    readonly version: unknown,
    readonly problem: 'unknown_version' | 'invalid',
    detail: string,
  ) {
    super(
      problem === 'unknown_version'
        ? `The ${kind} stored at ${key} is version ${String(version)}, which this version of the product does not read (${detail})`
        : `The ${kind} stored at ${key} is not a valid version ${String(version)} ${kind}: ${detail}`,
    );
    this.name = 'StoredDataError';
  }
}

/**
 * What is logged of a StoredDataError, at error level: which record (its key) and which version, never its content.
 * Not the error itself: its message quotes what is wrong with the record, which may be a stored value.
 */
export function storedDataLogFields(err: StoredDataError): { kind: string; key: string; version: string | number; problem: string } {
  const version = typeof err.version === 'number' ? err.version : String(err.version).slice(0, 40);
  return { kind: err.kind, key: err.key, version, problem: err.problem };
}
