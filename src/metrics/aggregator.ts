import type { Redis } from 'ioredis';
import { z } from 'zod';
import { isFinal, type RequestState, type TimelineEntry } from '../domain/request';
import type { WorkflowData } from '../domain/workflow';
import { defineScript } from '../redis/commands';
import { storeKeys } from '../store/keys';
import { timelineFormat, workflowFormat } from '../store/records';
import { unlessInvalid } from '../store/stored';
import { bucketIndex } from './buckets';
import { HALF_HOUR_MS, MINUTE_MS, metricsKeys } from './keys';

/**
 * Folds the audit stream (every transition of every request, written by whichever process made it) into metrics and
 * the dashboard's rollups: outcomes by reason, time in each state, time to outcome, and per-minute / per-half-hour
 * throughput. Any intake process may run it; each batch is applied by one script that first checks the checkpoint
 * is still where this process read it, so two processes never count an entry twice (the loser just tries again).
 *
 * It reads the audit stream only, so it needs no hook in the worker: the workers already write every fact it uses.
 */
const APPLY = `
local cp = redis.call('GET', KEYS[1]) or ''
if cp ~= ARGV[1] then return 0 end
local ops = cjson.decode(ARGV[3])
for _, op in ipairs(ops) do
  local k = KEYS[op[2]]
  if op[1] == 'i' then redis.call('HINCRBYFLOAT', k, op[3], op[4])
  elseif op[1] == 's' then redis.call('HSET', k, op[3], op[4])
  elseif op[1] == 'd' then redis.call('HDEL', k, op[3])
  elseif op[1] == 'x' then redis.call('PEXPIRE', k, op[4]) end
end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`;

const apply = defineScript<[checkpoint: string, newCheckpoint: string, ops: string], number>('resetpcApplyMetrics', APPLY, z.number().int());

const MINUTE_TTL_MS = 3 * 3_600_000;
const HALF_HOUR_TTL_MS = 50 * 3_600_000;
/** Where a first run starts: the last day of the audit stream, not its whole retention. */
const FIRST_RUN_LOOKBACK_MS = 86_400_000;

interface AuditItem {
  readonly streamId: string;
  readonly requestId: string;
  readonly entry: TimelineEntry;
}

type Op = ['i' | 's', number, string, string] | ['d', number, string] | ['x', number, string, string];

class Batch {
  readonly keys: string[];
  private readonly index = new Map<string, number>();
  private readonly increments = new Map<string, { key: number; field: string; by: number }>();
  private readonly sets = new Map<string, { key: number; field: string; value: string | null }>();
  private readonly expiries = new Map<number, number>();

  constructor(checkpointKey: string) {
    this.keys = [checkpointKey];
  }

  private keyIndex(key: string): number {
    let i = this.index.get(key);
    if (i === undefined) {
      this.keys.push(key);
      i = this.keys.length;
      this.index.set(key, i);
    }
    return i;
  }

  incr(key: string, field: string, by = 1): void {
    const k = this.keyIndex(key);
    const id = `${String(k)}\u0000${field}`;
    const current = this.increments.get(id);
    if (current === undefined) this.increments.set(id, { key: k, field, by });
    else current.by += by;
  }

  set(key: string, field: string, value: string | null): void {
    const k = this.keyIndex(key);
    this.sets.set(`${String(k)}\u0000${field}`, { key: k, field, value });
  }

  expire(key: string, ms: number): void {
    this.expiries.set(this.keyIndex(key), ms);
  }

  ops(): Op[] {
    const out: Op[] = [];
    for (const { key, field, by } of this.increments.values()) out.push(['i', key, field, String(by)]);
    for (const { key, field, value } of this.sets.values()) out.push(value === null ? ['d', key, field] : ['s', key, field, value]);
    for (const [key, ms] of this.expiries) out.push(['x', key, '', String(ms)]);
    return out;
  }
}

/** The audit entries of a batch. A damaged entry is skipped (the checkpoint moves past it); an entry of a version this process does not read stops the batch, so a newer process folds it in. */
function parse(auditKey: string, raw: [string, string[]][]): AuditItem[] {
  const items: AuditItem[] = [];
  for (const [streamId, fields] of raw) {
    let requestId: string | undefined;
    let json: string | undefined;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i] === 'request') requestId = fields[i + 1];
      if (fields[i] === 'entry') json = fields[i + 1];
    }
    if (requestId === undefined || json === undefined) continue;
    const entry = unlessInvalid(() => timelineFormat.decode(json, `${auditKey} ${streamId}`));
    if (entry !== undefined) items.push({ streamId, requestId, entry });
  }
  return items;
}

export interface AuditAggregator {
  /** Folds in up to `maxEntries` new audit entries. Returns how many were folded in (0 when caught up or it lost a race). */
  advance(maxEntries?: number): Promise<number>;
  /** Advances until caught up (or `maxRounds` batches). */
  catchUp(maxRounds?: number): Promise<number>;
}

export function createAuditAggregator(redis: Redis, prefix: string, now: () => number = Date.now): AuditAggregator {
  const keys = metricsKeys(prefix);
  const store = storeKeys(prefix);

  /** The last advance read entries but another process had folded them in first. */
  let lostRace = false;

  async function advance(maxEntries = 2000): Promise<number> {
    lostRace = false;
    const checkpoint = (await redis.get(keys.checkpoint)) ?? '';
    const start = checkpoint === '' ? `${String(Math.max(0, now() - FIRST_RUN_LOOKBACK_MS))}-0` : `(${checkpoint}`;
    const raw = (await redis.xrange(store.audit, start, '+', 'COUNT', maxEntries)) as [string, string[]][];
    const lastRaw = raw.at(-1);
    if (lastRaw === undefined) return 0;
    const items = parse(store.audit, raw);
    const ids = [...new Set(items.map((i) => i.requestId))];
    const finals = [...new Set(items.filter((i) => isFinal(i.entry.to) && i.entry.from !== i.entry.to).map((i) => i.requestId))];

    const pipeline = redis.pipeline();
    if (ids.length > 0) pipeline.hmget(keys.lastTransition, ...ids);
    for (const id of finals) pipeline.hmget(store.request(id), 'createdAt', 'state', 'workflow');
    const results = (await pipeline.exec()) ?? [];
    const lastValues = ids.length > 0 ? ((results[0]?.[1] as (string | null)[] | undefined) ?? []) : [];
    const last = new Map<string, number>();
    ids.forEach((id, i) => {
      const v = lastValues[i];
      if (v !== null && v !== undefined) last.set(id, Number(v));
    });
    const records = new Map<string, { createdAt?: number; state?: RequestState; workflow: WorkflowData }>();
    finals.forEach((id, i) => {
      const [createdAt, state, workflow] = (results[(ids.length > 0 ? 1 : 0) + i]?.[1] as (string | null)[] | undefined) ?? [];
      const parsed: WorkflowData = workflow === null || workflow === undefined ? {} : (unlessInvalid(() => workflowFormat.decode(workflow, store.request(id))) ?? {});
      records.set(id, { ...(createdAt === null || createdAt === undefined ? {} : { createdAt: Number(createdAt) }), ...(state === null || state === undefined ? {} : { state: state as RequestState }), workflow: parsed });
    });

    const batch = new Batch(keys.checkpoint);
    for (const { requestId, entry } of items) {
      if (entry.from === entry.to) continue; // an annotation: no state change
      const at = Date.parse(entry.at);
      if (!Number.isFinite(at)) continue;
      const previous = last.get(requestId);
      if (entry.from !== null && previous !== undefined) {
        const seconds = Math.max(0, (at - previous) / 1000);
        batch.incr(keys.stages, `${entry.from}|b${String(bucketIndex(seconds))}`);
        batch.incr(keys.stages, `${entry.from}|sum`, seconds);
        batch.incr(keys.stages, `${entry.from}|count`);
      }
      if (!isFinal(entry.to)) {
        last.set(requestId, at);
        batch.set(keys.lastTransition, requestId, String(at));
        continue;
      }
      last.delete(requestId);
      batch.set(keys.lastTransition, requestId, null);
      const record = records.get(requestId);
      const stored = record?.state === entry.to ? record.workflow.outcomeReason : undefined;
      const reason = stored ?? (entry.to === 'succeeded' ? 'done' : entry.to);
      batch.incr(keys.outcomes, `${entry.to}|${reason}`);
      if (record?.createdAt === undefined) continue;
      const seconds = Math.max(0, (at - record.createdAt) / 1000);
      const b = `b${String(bucketIndex(seconds))}`;
      batch.incr(keys.timeToOutcome, `${entry.to}|${b}`);
      batch.incr(keys.timeToOutcome, `${entry.to}|sum`, seconds);
      batch.incr(keys.timeToOutcome, `${entry.to}|count`);
      const minuteKey = keys.minute(Math.floor(at / MINUTE_MS));
      const halfKey = keys.halfHour(Math.floor(at / HALF_HOUR_MS));
      for (const [key, ttl] of [[minuteKey, MINUTE_TTL_MS], [halfKey, HALF_HOUR_TTL_MS]] as const) {
        batch.incr(key, 'done');
        if (entry.to === 'succeeded') batch.incr(key, 'ok');
        batch.incr(key, b);
        batch.expire(key, ttl);
      }
    }
    const applied = await apply.run(redis, batch.keys, [checkpoint, lastRaw[0], JSON.stringify(batch.ops())]);
    lostRace = applied !== 1;
    return applied === 1 ? raw.length : 0;
  }

  return {
    advance,
    async catchUp(maxRounds = 1000) {
      let total = 0;
      for (let round = 0; round < maxRounds; round++) {
        const n = await advance();
        total += n;
        if (n === 0 && !lostRace) break;
      }
      return total;
    },
  };
}
