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
