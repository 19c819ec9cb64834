import type { Redis } from 'ioredis';
import { REQUEST_STATES, type RequestState } from '../domain/request';
import type { GraphBudget } from '../graph/budget';
import type { Queues } from '../queue/queues';
import { storeKeys } from '../store/keys';
import { workflowFormat } from '../store/records';
import { unlessInvalid } from '../store/stored';
import type { TenantControlStore, TenantControlSettings } from '../store/tenant-controls';
import { DURATION_BUCKETS_SECONDS, quantileFromBuckets } from './buckets';
import { HALF_HOUR_MS, MINUTE_MS, metricsKeys } from './keys';
import type { TenantDirectory } from './tenants';

export const QUEUE_STATUSES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed'] as const;
export type QueueStatus = (typeof QUEUE_STATUSES)[number];

export interface TenantSnapshot {
  readonly tenantId: string;
  readonly submissions: TenantControlSettings;
  readonly budget: { readonly reads: number; readonly writes: number; readonly readLimit: number; readonly writeLimit: number; readonly windowMs: number; readonly pausedForMs: number };
}

export interface SeriesPoint {
  /** Start of the slot, epoch ms. */
  readonly at: number;
  readonly done: number;
  readonly succeeded: number;
  readonly p50?: number;
  readonly p95?: number;
}

export interface Series {
  readonly slotMs: number;
  readonly points: readonly SeriesPoint[];
  readonly done: number;
  readonly succeeded: number;
  readonly p50?: number;
  readonly p95?: number;
}

export interface Snapshot {
  readonly at: number;
  readonly states: Readonly<Record<RequestState, number>>;
  readonly queues: Readonly<Record<'reset' | 'notify', Readonly<Record<QueueStatus, number>>>>;
  readonly tenants: readonly TenantSnapshot[];
  /** Approved requests waiting to be submitted, by why. */
  readonly held: { readonly paused: number; readonly blast_radius: number };
}

/** What the dashboard's overview and GET /metrics read: live counts from the store, the queues and the budget. */
export function createSnapshotReader(deps: { redis: Redis; prefix: string; queues: Queues; control: TenantControlStore; budget: GraphBudget; tenants: TenantDirectory; now?: () => number }) {
  const store = storeKeys(deps.prefix);
  const keys = metricsKeys(deps.prefix);
  const now = deps.now ?? Date.now;

  async function states(): Promise<Record<RequestState, number>> {
    const pipeline = deps.redis.pipeline();
    for (const s of REQUEST_STATES) pipeline.zcard(store.byState(s));
    const out = (await pipeline.exec()) ?? [];
    const counts = {} as Record<RequestState, number>;
    REQUEST_STATES.forEach((s, i) => {
      const [err, value] = out[i] ?? [null, 0];
      if (err !== null) throw err;
      counts[s] = Number(value);
    });
    return counts;
  }

  async function queueCounts(): Promise<Snapshot['queues']> {
    const [reset, notify] = await Promise.all([deps.queues.reset.getJobCounts(...QUEUE_STATUSES), deps.queues.notify.getJobCounts(...QUEUE_STATUSES)]);
    const pick = (c: Record<string, number>) => Object.fromEntries(QUEUE_STATUSES.map((s) => [s, c[s] ?? 0])) as Record<QueueStatus, number>;
    return { reset: pick(reset), notify: pick(notify) };
  }

  async function tenants(): Promise<TenantSnapshot[]> {
    const ids = await deps.tenants.list();
    return Promise.all(
      ids.map(async (tenantId) => {
        const [submissions, usage, pausedForMs] = await Promise.all([deps.control.settings(tenantId), deps.budget.usage(tenantId), deps.budget.pausedForMs(tenantId)]);
        return { tenantId, submissions, budget: { reads: usage.reads, writes: usage.writes, readLimit: usage.limits.reads, writeLimit: usage.limits.writes, windowMs: usage.limits.windowMs, pausedForMs } };
      }),
    );
  }

  /** Held approved requests: their workflow says why they wait. Reads at most `max` of them. */
  async function held(max = 500): Promise<Snapshot['held']> {
    const ids = await deps.redis.zrevrange(store.byState('approved'), 0, max - 1);
    if (ids.length === 0) return { paused: 0, blast_radius: 0 };
    const pipeline = deps.redis.pipeline();
    for (const id of ids) pipeline.hget(store.request(id), 'workflow');
    const out = (await pipeline.exec()) ?? [];
    const counts = { paused: 0, blast_radius: 0 };
    out.forEach(([, value], i) => {
      if (typeof value !== 'string') return;
      const h = unlessInvalid(() => workflowFormat.decode(value, store.request(ids[i] ?? '')))?.held;
      if (h !== undefined) counts[h]++;
    });
    return counts;
  }

  async function series(kind: 'hour' | 'day'): Promise<Series> {
    const slotMs = kind === 'hour' ? MINUTE_MS : HALF_HOUR_MS;
    const slots = kind === 'hour' ? 60 : 48;
    const current = Math.floor(now() / slotMs);
    const first = current - slots + 1;
    const pipeline = deps.redis.pipeline();
    for (let s = first; s <= current; s++) pipeline.hgetall(kind === 'hour' ? keys.minute(s) : keys.halfHour(s));
    const out = (await pipeline.exec()) ?? [];
    const total = new Array<number>(DURATION_BUCKETS_SECONDS.length + 1).fill(0);
    const points: SeriesPoint[] = [];
    let done = 0;
    let succeeded = 0;
    out.forEach(([err, value], i) => {
      if (err !== null) throw err;
      const hash = value as Record<string, string>;
      const buckets = total.map((_, b) => Number(hash[`b${String(b)}`] ?? 0));
      buckets.forEach((n, b) => (total[b] = (total[b] ?? 0) + n));
      const p50 = quantileFromBuckets(buckets, 0.5);
      const p95 = quantileFromBuckets(buckets, 0.95);
      const point = { at: (first + i) * slotMs, done: Number(hash.done ?? 0), succeeded: Number(hash.ok ?? 0), ...(p50 === undefined ? {} : { p50 }), ...(p95 === undefined ? {} : { p95 }) };
      done += point.done;
      succeeded += point.succeeded;
      points.push(point);
    });
    const p50 = quantileFromBuckets(total, 0.5);
    const p95 = quantileFromBuckets(total, 0.95);
    return { slotMs, points, done, succeeded, ...(p50 === undefined ? {} : { p50 }), ...(p95 === undefined ? {} : { p95 }) };
  }

  return {
    states,
    queueCounts,
    tenants,
    held,
    series,
    async snapshot(): Promise<Snapshot> {
      const [s, q, t, h] = await Promise.all([states(), queueCounts(), tenants(), held()]);
      return { at: now(), states: s, queues: q, tenants: t, held: h };
    },
  };
}

export type SnapshotReader = ReturnType<typeof createSnapshotReader>;
