import type { Redis } from 'ioredis';
import { storeCall } from './errors';
import type { StoreKeys } from './keys';

export type ReplaySource = 'jira' | 'servicenow';

/** Remembers webhook deliveries for a while, so a second delivery of the same one is recognised. */
export class ReplayStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: StoreKeys,
  ) {}

  /** True the first time a delivery id is seen within `ttlSeconds`; false for every repeat. */
  async firstSeen(source: ReplaySource, deliveryId: string, ttlSeconds: number): Promise<boolean> {
    const result = await storeCall(() => this.redis.set(this.keys.replay(source, deliveryId), '1', 'EX', ttlSeconds, 'NX'));
    return result === 'OK';
  }

  /**
   * Remembers every mark of one delivery (each for its own TTL) and is true only when none of them was seen before:
   * a delivery that repeats any one of them is a repeat. Each mark is claimed on its own (`SET NX`), so two deliveries
   * that share a mark never both get true, and the keys need not share a Redis Cluster slot. When Redis fails part
   * way, the marks this call did claim are given back (best effort) before the error is thrown, so the sender's retry
   * is not taken for a repeat.
   */
  async firstSeenAll(source: ReplaySource, marks: readonly { readonly id: string; readonly ttlSeconds: number }[]): Promise<boolean> {
    const results = await Promise.allSettled(marks.map((m) => this.firstSeen(source, m.id, m.ttlSeconds)));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed !== undefined) {
      const claimed = marks.filter((_m, i) => results[i]?.status === 'fulfilled' && results[i].value);
      await this.forget(source, ...claimed.map((m) => m.id)).catch(() => undefined);
      throw failed.reason;
    }
    return results.every((r) => r.status === 'fulfilled' && r.value);
  }

  /** Forget a delivery whose processing failed (every one of its marks), so the sender's retry is processed. */
  async forget(source: ReplaySource, ...deliveryIds: string[]): Promise<void> {
    await Promise.all(deliveryIds.map((id) => storeCall(() => this.redis.del(this.keys.replay(source, id)))));
  }
}
