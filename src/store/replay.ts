import type { Redis } from 'ioredis';
import { storeCall } from './errors';
import type { StoreKeys } from './keys';

/** Remembers webhook deliveries for a while, so a second delivery of the same one is recognised. */
export class ReplayStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: StoreKeys,
  ) {}

  /** True the first time a delivery id is seen within `ttlSeconds`; false for every repeat. */
  async firstSeen(source: 'jira' | 'servicenow', deliveryId: string, ttlSeconds: number): Promise<boolean> {
    const result = await storeCall(() => this.redis.set(this.keys.replay(source, deliveryId), '1', 'EX', ttlSeconds, 'NX'));
    return result === 'OK';
  }

  /** Forget a delivery whose processing failed, so the sender's retry is processed. */
  async forget(source: 'jira' | 'servicenow', deliveryId: string): Promise<void> {
    await storeCall(() => this.redis.del(this.keys.replay(source, deliveryId)));
  }
}
