import type { Redis } from 'ioredis';
import { z } from 'zod';
import { sha256Hex } from '../auth/tokens';
import { storeCall } from './errors';
import type { StoreKeys } from './keys';
import { storedFormat } from './stored';

export interface StoredResponse {
  readonly statusCode: number;
  readonly body: unknown;
  readonly location?: string;
}

type Record =
  | { readonly status: 'pending'; readonly bodyHash: string; readonly requestId?: string; readonly at?: number }
  | { readonly status: 'done'; readonly bodyHash: string; readonly response: StoredResponse };

const idempotencyFormat = storedFormat<Record>(
  'idempotency record',
  z.discriminatedUnion('status', [
    z.object({ status: z.literal('pending'), bodyHash: z.string(), requestId: z.string().exactOptional(), at: z.number().exactOptional() }),
    z.object({
      status: z.literal('done'),
      bodyHash: z.string(),
      response: z.object({ statusCode: z.number().int(), body: z.unknown(), location: z.string().exactOptional() }),
    }),
  ]),
);

export type Claim =
  | { readonly kind: 'claimed' }
  /** Another call with this key is storing request `requestId` (since `at`), or stopped without saying how it ended. */
  | { readonly kind: 'in_progress'; readonly requestId?: string; readonly at?: number }
  | { readonly kind: 'mismatch' }
  | { readonly kind: 'replay'; readonly response: StoredResponse };

/**
 * `Idempotency-Key` support, scoped per caller: the first request with a key claims it; the same key and body
 * later gets the first answer back; another body gets a mismatch; a concurrent duplicate finds it in progress.
 */
export class IdempotencyStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: StoreKeys,
    private readonly ttlSeconds: number,
  ) {}

  private key(caller: string, idempotencyKey: string): string {
    return this.keys.idempotency(caller, sha256Hex(idempotencyKey));
  }

  /**
   * `requestId`: the id the request will be stored under, kept in the pending claim so that a retry after an
   * unanswered commit can find out whether it was stored.
   */
  async claim(caller: string, idempotencyKey: string, body: unknown, requestId?: string, now = Date.now()): Promise<Claim> {
    const key = this.key(caller, idempotencyKey);
    const bodyHash = sha256Hex(JSON.stringify(body));
    const pending: Record = { status: 'pending', bodyHash, ...(requestId === undefined ? {} : { requestId, at: now }) };
    const set = await storeCall(() => this.redis.set(key, idempotencyFormat.encode(pending), 'EX', this.ttlSeconds, 'NX'));
    if (set === 'OK') return { kind: 'claimed' };
    const existing = await storeCall(() => this.redis.get(key));
    if (existing === null) {
      // Expired between the two calls: try once more.
      return this.claim(caller, idempotencyKey, body, requestId, now);
    }
    const record = idempotencyFormat.decode(existing, key);
    if (record.bodyHash !== bodyHash) return { kind: 'mismatch' };
    if (record.status === 'pending') return { kind: 'in_progress', ...(record.requestId === undefined ? {} : { requestId: record.requestId }), ...(record.at === undefined ? {} : { at: record.at }) };
    return { kind: 'replay', response: record.response };
  }

  async complete(caller: string, idempotencyKey: string, body: unknown, response: StoredResponse): Promise<void> {
    const record: Record = { status: 'done', bodyHash: sha256Hex(JSON.stringify(body)), response };
    await storeCall(() => this.redis.set(this.key(caller, idempotencyKey), idempotencyFormat.encode(record), 'EX', this.ttlSeconds));
  }

  /** Takes over a pending claim whose call stopped without an answer (its request was not stored). */
  async takeOver(caller: string, idempotencyKey: string, body: unknown, requestId: string, now = Date.now()): Promise<void> {
    const record: Record = { status: 'pending', bodyHash: sha256Hex(JSON.stringify(body)), requestId, at: now };
    await storeCall(() => this.redis.set(this.key(caller, idempotencyKey), idempotencyFormat.encode(record), 'EX', this.ttlSeconds));
  }

  /** Frees the key after a failure that the caller should retry (a 5xx), so the retry is not refused. */
  async abandon(caller: string, idempotencyKey: string): Promise<void> {
    await storeCall(() => this.redis.del(this.key(caller, idempotencyKey)));
  }
}
