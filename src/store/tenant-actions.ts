import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { TenantAction } from '../app/ports';
import { metricsKeys } from './keys';
import { storedFormat } from './stored';
import { storeCall } from './errors';

export type { TenantAction } from '../app/ports';

/**
 * The tenant action log: tenant actions (pause, resume, blast-radius limit, a tenant added) have no
 * request timeline of their own, so they are recorded here, newest first, and shown on the overview. The last 200 are
 * kept.
 */

const KEEP = 200;

const actionFormat = storedFormat<TenantAction>(
  'tenant action',
  z.object({ at: z.string(), by: z.string(), tenantId: z.string(), action: z.enum(['paused', 'resumed', 'set the blast-radius limit of', 'added']), detail: z.string().exactOptional() }),
);

export function createTenantActionLog(redis: Redis, prefix: string) {
  const key = metricsKeys(prefix).tenantActions;
  return {
    async record(action: Omit<TenantAction, 'at'>): Promise<void> {
      const entry: TenantAction = { at: new Date().toISOString(), ...action };
      await storeCall(() => redis.multi().lpush(key, actionFormat.encode(entry)).ltrim(key, 0, KEEP - 1).exec());
    },
    async recent(limit: number): Promise<TenantAction[]> {
      const raw = await storeCall(() => redis.lrange(key, 0, limit - 1));
      return raw.map((r) => actionFormat.decode(r, key));
    },
  };
}

export type TenantActionLog = ReturnType<typeof createTenantActionLog>;
