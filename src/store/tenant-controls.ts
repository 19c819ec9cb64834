import type { Redis } from 'ioredis';
import { z } from 'zod';
import { StoredDataError, storeCall } from './errors';
import { tenantKeys } from './keys';
import { storedFormat } from './stored';
import { defineScript } from '../redis/commands';

const HOUR_MS = 3_600_000;

/**
 * Admit one submission for a tenant, or say why not: an operator's pause, or the blast-radius limit (submissions per
 * rolling hour). KEYS: 1 paused, 2 submissions zset, 3 limit override. ARGV: 1 now ms, 2 request id, 3 default limit.
 * Returns {1, count, limit} when admitted (and recorded), {0, 'paused'} or {0, 'blast_radius', count, limit}.
 */
const ADMIT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return { 0, 'paused' } end
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - ${HOUR_MS})
if redis.call('ZSCORE', KEYS[2], ARGV[2]) then return { 1, redis.call('ZCARD', KEYS[2]), 0 } end
local limit = tonumber(redis.call('GET', KEYS[3]) or ARGV[3])
local count = redis.call('ZCARD', KEYS[2])
if count >= limit then return { 0, 'blast_radius', count, limit } end
redis.call('ZADD', KEYS[2], now, ARGV[2])
redis.call('PEXPIRE', KEYS[2], ${HOUR_MS * 2})
return { 1, count + 1, limit }
`;

const admitted = z.union([
  z.tuple([z.literal(1), z.number(), z.number()]),
  z.tuple([z.literal(0), z.literal('paused')]),
  z.tuple([z.literal(0), z.literal('blast_radius'), z.number(), z.number()]),
]);
const admit = defineScript<[nowMs: number, requestId: string, defaultLimit: number], z.output<typeof admitted>>('resetpcAdmitSubmission', ADMIT, admitted);

export type Admission =
  | { readonly ok: true }
  | { readonly ok: false; readonly why: 'paused' }
  | { readonly ok: false; readonly why: 'blast_radius'; readonly used: number; readonly limit: number };

/** A tenant's controls as the API and the dashboard show them (`GET /v1/tenants/{tenantId}/submissions`). */
export interface TenantControlSettings {
  readonly tenantId: string;
  readonly paused: { readonly by: string; readonly at: string; readonly reason?: string } | null;
  readonly blastRadius: { readonly limitPerHour: number; readonly usedLastHour: number; readonly overridden: boolean };
}

type Pause = NonNullable<TenantControlSettings['paused']>;

const pauseFormat = storedFormat<Pause>('tenant pause', z.object({ by: z.string(), at: z.string(), reason: z.string().exactOptional() }));

/**
 * A tenant's controls, shared by every process: an operator's pause, and the blast-radius guard (at most N resets
 * submitted to Graph per rolling hour). While paused or past the limit, reset POSTs wait; they do not fail.
 */
export class TenantControlStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly defaultLimitPerHour: number,
    private readonly now: () => number = Date.now,
  ) {}

  private keys(tenantId: string) {
    return tenantKeys(this.prefix, tenantId);
  }

  async admit(tenantId: string, requestId: string): Promise<Admission> {
    const k = this.keys(tenantId);
    const reply = await storeCall(() => admit.run(this.redis, [k.paused, k.submissions, k.limit], [this.now(), requestId, this.defaultLimitPerHour]));
    if (reply[0] === 1) return { ok: true };
    return reply[1] === 'paused' ? { ok: false, why: 'paused' } : { ok: false, why: 'blast_radius', used: reply[2], limit: reply[3] };
  }

  async pause(tenantId: string, by: string, reason?: string): Promise<void> {
    const value = pauseFormat.encode({ by, at: new Date(this.now()).toISOString(), ...(reason === undefined ? {} : { reason }) });
    await storeCall(() => this.redis.set(this.keys(tenantId).paused, value));
  }

  async resume(tenantId: string): Promise<void> {
    await storeCall(() => this.redis.del(this.keys(tenantId).paused));
  }

  async setLimit(tenantId: string, perHour: number): Promise<void> {
    await storeCall(() => this.redis.set(this.keys(tenantId).limit, String(perHour)));
  }

  async settings(tenantId: string): Promise<TenantControlSettings> {
    const k = this.keys(tenantId);
    const since = this.now() - HOUR_MS;
    const [paused, used, limit] = await storeCall(() => Promise.all([this.redis.get(k.paused), this.redis.zcount(k.submissions, since, '+inf'), this.redis.get(k.limit)]));
    // The limit override is a bare number (the key says what it is), read as the Lua script reads it.
    const limitPerHour = limit === null ? this.defaultLimitPerHour : Number(limit);
    if (!Number.isInteger(limitPerHour) || limitPerHour < 0) throw new StoredDataError('blast-radius limit', k.limit, 1, 'invalid', `${String(limit)} is not a number of submissions`);
    return {
      tenantId,
      paused: paused === null ? null : pauseFormat.decode(paused, k.paused),
      blastRadius: { limitPerHour, usedLastHour: used, overridden: limit !== null },
    };
  }
}
