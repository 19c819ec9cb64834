/** Redis could not be reached or refused the write. The intake answers 503 with Retry-After. */
export class StoreUnavailableError extends Error {
  readonly code = 'unavailable';
  constructor(cause: unknown) {
    super('The request store (Redis) is unavailable', { cause });
    this.name = 'StoreUnavailableError';
  }
}

/** Runs a Redis operation and turns any failure into StoreUnavailableError. */
export async function storeCall<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
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
