/**
 * The notification ledger, in Redis: one record per notification (per notify job id) with its delivery state, its
 * attempts, its last error and each delivered step. A step (a work note posted, a state changed, an email sent) is
 * recorded as soon as it is done and before the job completes, so a re-run (a retry, a stalled job taken over after a
 * crash) skips it: a notification takes effect once per (request, event, channel).
 *
 * Keys share the configured hash-tag prefix; records expire 35 days after their last change (the notify queue keeps
 * failed jobs 30 days).
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { storeCall } from '../store/errors';
import { notifyKeys, type NotifyKeys } from '../store/keys';
import { storedFormat } from '../store/stored';
import { NOTIFY_EVENTS } from '../queue/catalog';
import type { NotifyChannel, NotifyEvent } from './settings';

export const DELIVERY_STATES = ['pending', 'delivering', 'retrying', 'delivered', 'skipped', 'undeliverable'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export interface DeliveryTarget {
  readonly requestId: string;
  readonly event: NotifyEvent;
  readonly channel: NotifyChannel;
  /** linked_to_active_request: the other ticket the note goes to. */
  readonly ticket?: { readonly system: 'servicenow' | 'jira'; readonly key: string };  /** The request's attempt, when 2 or more (an operator retried the request): its notifications are new ones. */
  readonly requestAttempt?: number;
}

export interface DeliveryError {
  readonly code: string;
  readonly message: string;
  /** True when retrying cannot help (fix the configuration, then retry by hand). */
  readonly permanent: boolean;
}

export interface DeliveryRecord extends DeliveryTarget {
  /** The notify job id: `${requestId}|${event}|${channel}[|system|key]`. */
  readonly id: string;
  readonly state: DeliveryState;
  readonly attempts: number;
  readonly lastError?: DeliveryError;
  /** Why nothing was sent (the event is not configured for the channel, no ticket, no recipient…). */
  readonly skippedReason?: string;
  /** Each delivered step and when: e.g. `work_note`, `state`, `comment`, `transition`, `email`. */
  readonly steps: Readonly<Record<string, string>>;
  readonly updatedAt: string;
  readonly deliveredAt?: string;
  /** The earliest next attempt, when the remote end sent Retry-After. */
  readonly nextAttemptAt?: string;
}

const TTL_SECONDS = 35 * 86_400;

/**
 * A record is a hash (steps are added to it one field at a time); its `v` field is the version of the whole hash,
 * with `ticket` and `lastError` as JSON fields inside it. Hashes written before records carried `v` are version 1.
 */
const recordFormat = storedFormat<DeliveryRecord>(
  'notification',
  z.object({
    id: z.string(),
    requestId: z.string(),
    event: z.enum(NOTIFY_EVENTS),
    channel: z.enum(['ticket', 'email']),
    ticket: z.object({ system: z.enum(['servicenow', 'jira']), key: z.string() }).exactOptional(),
    requestAttempt: z.number().int().positive().exactOptional(),
    state: z.enum(DELIVERY_STATES),
    attempts: z.number().int().nonnegative(),
    lastError: z.object({ code: z.string(), message: z.string(), permanent: z.boolean() }).exactOptional(),
    skippedReason: z.string().exactOptional(),
    steps: z.record(z.string(), z.string()),
    updatedAt: z.string(),
    deliveredAt: z.string().exactOptional(),
    nextAttemptAt: z.string().exactOptional(),
  }),
);

export class DeliveryLedger {
  readonly keys: NotifyKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.keys = notifyKeys(prefix);
  }

  private async write(target: DeliveryTarget & { readonly id: string }, fields: Record<string, string>, drop: readonly string[] = []): Promise<void> {
    const key = this.keys.record(target.id);
    const base: Record<string, string> = {
      v: String(recordFormat.version),
      requestId: target.requestId,
      event: target.event,
      channel: target.channel,
      updatedAt: this.now().toISOString(),
      ...(target.ticket === undefined ? {} : { ticket: JSON.stringify(target.ticket) }),
      ...(target.requestAttempt === undefined ? {} : { requestAttempt: String(target.requestAttempt) }),
    };
    await storeCall(async () => {
      const tx = this.redis.multi().hset(key, { ...base, ...fields });
      if (drop.length > 0) tx.hdel(key, ...drop);
      await tx.expire(key, TTL_SECONDS).sadd(this.keys.byRequest(target.requestId), target.id).expire(this.keys.byRequest(target.requestId), TTL_SECONDS).exec();
    });
  }

  /** An attempt starts. */
  async begin(target: DeliveryTarget & { readonly id: string }, attempt: number): Promise<void> {
    await this.write(target, { state: 'delivering', attempts: String(attempt) }, ['nextAttemptAt']);
  }

  /** When the step was delivered, or undefined. */
  async stepDone(id: string, step: string): Promise<string | undefined> {
    const at = await storeCall(() => this.redis.hget(this.keys.record(id), `step:${step}`));
    return at ?? undefined;
  }

  async markStep(id: string, step: string): Promise<void> {
    await storeCall(() => this.redis.hset(this.keys.record(id), `step:${step}`, this.now().toISOString()));
  }

  async delivered(target: DeliveryTarget & { readonly id: string }): Promise<void> {
    await this.write(target, { state: 'delivered', deliveredAt: this.now().toISOString() }, ['nextAttemptAt', 'skippedReason']);
    await storeCall(() => this.redis.zrem(this.keys.undeliverable(), target.id));
  }

  async skipped(target: DeliveryTarget & { readonly id: string }, reason: string): Promise<void> {
    await this.write(target, { state: 'skipped', skippedReason: reason }, ['nextAttemptAt']);
  }

  async retrying(target: DeliveryTarget & { readonly id: string }, error: DeliveryError, nextAttemptAt: Date | undefined): Promise<void> {
    await this.write(target, { state: 'retrying', lastError: JSON.stringify(error), ...(nextAttemptAt === undefined ? {} : { nextAttemptAt: nextAttemptAt.toISOString() }) });
  }

  /** The notification will not be tried again by itself: operators see it in the undeliverable list. */
  async undeliverable(target: DeliveryTarget & { readonly id: string }, error: DeliveryError): Promise<void> {
    await this.write(target, { state: 'undeliverable', lastError: JSON.stringify(error) }, ['nextAttemptAt']);
    await storeCall(() => this.redis.zadd(this.keys.undeliverable(), this.now().getTime(), target.id));
  }

  /** An operator asked for another try: pending again (the delivered steps stay delivered). */
  async reopen(target: DeliveryTarget & { readonly id: string }): Promise<void> {
    await this.write(target, { state: 'pending' }, ['nextAttemptAt']);
    await storeCall(() => this.redis.zrem(this.keys.undeliverable(), target.id));
  }

  async get(id: string): Promise<DeliveryRecord | undefined> {
    const key = this.keys.record(id);
    const hash = await storeCall(() => this.redis.hgetall(key));
    return decode(id, key, hash);
  }

  /** Every recorded notification of a request. */
  async listForRequest(requestId: string): Promise<DeliveryRecord[]> {
    const ids = await storeCall(() => this.redis.smembers(this.keys.byRequest(requestId)));
    return this.getMany(ids.sort());
  }

  /** The undeliverable notifications, most recent first. */
  async listUndeliverable(limit = 100): Promise<DeliveryRecord[]> {
    const ids = await storeCall(() => this.redis.zrevrange(this.keys.undeliverable(), 0, Math.max(0, limit - 1)));
    return this.getMany(ids);
  }

  private async getMany(ids: readonly string[]): Promise<DeliveryRecord[]> {
    if (ids.length === 0) return [];
    const hashes = await storeCall(async () => {
      const pipeline = this.redis.pipeline();
      for (const id of ids) pipeline.hgetall(this.keys.record(id));
      const out = await pipeline.exec();
      if (out === null) throw new Error('pipeline aborted');
      return out.map(([err, value]) => {
        if (err !== null) throw err;
        return value as Record<string, string>;
      });
    });
    return ids.map((id, i) => decode(id, this.keys.record(id), hashes[i] ?? {})).filter((r): r is DeliveryRecord => r !== undefined);
  }
}

/** A JSON field of the hash, or the text itself when it is not JSON (the schema then refuses it). */
function jsonField(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * The record in a ledger hash, or undefined when no attempt was ever recorded. A hash of another version, or of the
 * wrong shape, is a StoredDataError.
 */
function decode(id: string, key: string, hash: Record<string, string>): DeliveryRecord | undefined {
  if (hash.requestId === undefined && hash.state === undefined) return undefined;
  const steps = Object.fromEntries(Object.entries(hash).filter(([k]) => k.startsWith('step:')).map(([k, v]) => [k.slice(5), v]));
  const fields: Record<string, unknown> = {
    v: hash.v,
    id,
    requestId: hash.requestId,
    event: hash.event,
    channel: hash.channel,
    ticket: jsonField(hash.ticket),
    requestAttempt: hash.requestAttempt === undefined ? undefined : Number(hash.requestAttempt),
    state: hash.state,
    attempts: Number(hash.attempts ?? '0'),
    lastError: jsonField(hash.lastError),
    skippedReason: hash.skippedReason,
    steps,
    updatedAt: hash.updatedAt ?? '',
    deliveredAt: hash.deliveredAt,
    nextAttemptAt: hash.nextAttemptAt,
  };
  return recordFormat.check(Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)), key);
}
