import type { Redis } from 'ioredis';
import { GUID } from '../domain/identifiers';
import { metricsKeys, tenantKeyPatterns } from '../store/keys';

/**
 * Which tenants the dashboard and /metrics report on. The intake does not talk to Graph, so it learns them from
 * Redis: the configured tenant, the tenant each worker process announces when it starts (workers/compose.ts), tenants
 * an operator acted on, and tenants whose Graph budget or submission controls have keys (found by a SCAN at most every
 * `rescanMs`, in the background once a first scan is done).
 */
export interface TenantDirectory {
  list(): Promise<readonly string[]>;
  remember(tenantId: string): Promise<void>;
}

export function createTenantDirectory(redis: Redis, prefix: string, configured: readonly string[], rescanMs = 15_000, now: () => number = Date.now): TenantDirectory {
  const key = metricsKeys(prefix).tenants;
  const patterns = tenantKeyPatterns(prefix);
  let scannedAt = -Infinity;
  let scanning: Promise<void> | undefined;

  // On a Redis Cluster a keyless SCAN goes to one node: scan every master (all keys share the prefix's slot, so one
  // of them holds them all). `nodes` exists only on an ioredis Cluster.
  const scanTargets = (): Redis[] => {
    const cluster = redis as Redis & { nodes?: (role: 'master') => Redis[] };
    return typeof cluster.nodes === 'function' ? cluster.nodes('master') : [redis];
  };

  async function scan(): Promise<void> {
    const found = new Set<string>();
    for (const [target, match] of scanTargets().flatMap((t) => patterns.map((p) => [t, p] as const))) {
      let cursor = '0';
      let rounds = 0;
      do {
        const [next, keys] = await target.scan(cursor, 'MATCH', match, 'COUNT', 5000);
        cursor = next;
        for (const k of keys) {
          const tenant = k.slice(prefix.length).split(':').find((part) => GUID.test(part));
          if (tenant !== undefined) found.add(tenant);
        }
        rounds++;
      } while (cursor !== '0' && rounds < 2000);
    }
    if (found.size > 0) await redis.sadd(key, ...found);
    scannedAt = now();
  }

  function rescan(): Promise<void> {
    scanning ??= scan().finally(() => {
      scanning = undefined;
    });
    return scanning;
  }

  return {
    async list() {
      if (scannedAt === -Infinity) await rescan();
      else if (now() - scannedAt > rescanMs) void rescan().catch(() => undefined);
      const members = await redis.smembers(key);
      const byLower = new Map<string, string>();
      for (const t of [...configured, ...members]) if (!byLower.has(t.toLowerCase())) byLower.set(t.toLowerCase(), t);
      return [...byLower.values()].sort();
    },
    async remember(tenantId) {
      await redis.sadd(key, tenantId);
    },
  };
}
