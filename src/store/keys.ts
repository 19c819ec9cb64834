import { hash } from 'node:crypto';
import { deviceKey, ticketKey, type DeviceRef, type RequestState, type TicketRef } from '../domain/request';

/**
 * Every Redis key the product writes, in one place: nothing else builds a key. All keys share the configured hash-tag
 * prefix (`{resetpc}`), so Lua scripts and transactions that touch several keys stay valid on Redis Cluster.
 *
 * The strings are stored data: changing one orphans what is stored under the old one (test/unit/redis-keys.test.ts
 * pins each of them). BullMQ builds its own queue keys under the same prefix (`{resetpc}:reset:*`, `{resetpc}:notify:*`).
 */

/** Requests: records, timelines, indexes, locks, the audit stream; and the intake's idempotency, replay and rate-limit keys. */
export function storeKeys(prefix: string) {
  return {
    request: (id: string) => `${prefix}:request:${id}`,
    timeline: (id: string) => `${prefix}:request:${id}:timeline`,
    links: (id: string) => `${prefix}:request:${id}:links`,
    byCreated: `${prefix}:requests:created`,
    byState: (state: RequestState) => `${prefix}:requests:state:${state}`,
    byTicket: (key: string) => `${prefix}:requests:ticket:${key.trim().toUpperCase()}`,
    byDevice: (value: string) => `${prefix}:requests:device:${value.trim().toLowerCase()}`,
    /** The index of requests by requester (requestedBy, lower-cased); scores are createdAt, like every index. */
    byRequester: (requester: string) => `${prefix}:requests:requester:${requester.trim().toLowerCase()}`,
    deviceLock: (device: DeviceRef) => `${prefix}:lock:device:${deviceKey(device)}`,
    ticketLock: (ticket: TicketRef) => `${prefix}:lock:ticket:${ticketKey(ticket)}`,
    /** The lock on the Intune managed device a request resolved to (one active request per physical device). */
    managedDeviceLock: (managedDeviceId: string) => `${prefix}:lock:managed:${managedDeviceId.toLowerCase()}`,
    audit: `${prefix}:audit`,
    /** Requests the jobless sweep is ending, until their notifications are queued (workers/reset/jobless.ts). */
    joblessOutbox: `${prefix}:requests:jobless-outbox`,
    idempotency: (caller: string, keyDigest: string) => `${prefix}:idempotency:${caller}:${keyDigest}`,
    replay: (source: string, deliveryId: string) => `${prefix}:replay:${source}:${deliveryId}`,
    /** A rate-limit bucket's budget in its current window (src/store/rate-limit-leases.ts): `caller:<name>`, `ip:<address>`, `webhook:<address>`. */
    rateLimit: (bucket: string) => `${prefix}:ratelimit:${bucket}`,
  };
}

export type StoreKeys = ReturnType<typeof storeKeys>;

/** A tenant's submission controls: an operator's pause, the submissions of the last hour, the blast-radius override. */
export function tenantKeys(prefix: string, tenantId: string) {
  const base = `${prefix}:tenant:${tenantId.toLowerCase()}`;
  return { paused: `${base}:paused`, submissions: `${base}:submissions`, limit: `${base}:blast-radius-limit` };
}

/** The metrics and the dashboard's rollups, and what the dashboard keeps about tenants. */
export function metricsKeys(prefix: string) {
  const base = `${prefix}:metrics`;
  return {
    /** Counters any process adds to (src/metrics/recorder.ts): field `name|label|label…` → count. */
    counters: `${base}:counters`,
    /** The audit-stream id the aggregator has folded in up to. */
    checkpoint: `${base}:checkpoint`,
    /** Request id → epoch ms of its latest transition (removed at a final state): stage durations. */
    lastTransition: `${base}:last-transition`,
    /** `outcome|reason` → count of requests that reached that final state. */
    outcomes: `${base}:outcomes`,
    /** `stage|b<i>`, `stage|sum`, `stage|count`: time spent in each state, as a histogram. */
    stages: `${base}:stages`,
    /** `outcome|b<i>`, `outcome|sum`, `outcome|count`: time from creation to the outcome, as a histogram. */
    timeToOutcome: `${base}:time-to-outcome`,
    /** One hash per minute (kept 3 h) and per half hour (kept 50 h): `done`, `ok`, `b<i>` (time-to-outcome buckets). */
    minute: (minute: number) => `${base}:rollup:m:${String(minute)}`,
    halfHour: (slot: number) => `${base}:rollup:h:${String(slot)}`,
    /** Tenants the dashboard has seen or acted on. */
    tenants: `${prefix}:ops:tenants`,
    /** The tenant action log: changes to tenant controls (pause, resume, blast-radius limit), newest first. */
    tenantActions: `${prefix}:ops:tenant-actions`,
  };
}

export type MetricsKeys = ReturnType<typeof metricsKeys>;

/** Dashboard sessions and the refusals kept for them, by the SHA-256 of the session id (never the id itself). */
export function sessionKeys(prefix: string) {
  return {
    session: (sidDigest: string) => `${prefix}:ops:session:${sidDigest}`,
    refusal: (sidDigest: string, note: string) => `${prefix}:ops:refusal:${sidDigest}:${note}`,
  };
}

/** The notification ledger: one hash per notification (notify job id), the ids per request, the undeliverable ones. */
export function notifyKeys(prefix: string) {
  return {
    record: (id: string) => `${prefix}:notify:delivery:${id}`,
    byRequest: (requestId: string) => `${prefix}:notify:request:${requestId}`,
    undeliverable: () => `${prefix}:notify:undeliverable`,
  };
}

export type NotifyKeys = ReturnType<typeof notifyKeys>;

/** Graph: a tenant's budget (src/graph/budget.ts, ADR 010), its 429 pause, and its cached tenant facts (tenant-checks.ts). */
export function graphKeys(prefix: string) {
  const base = `${prefix}:graph`;
  return {
    /**
     * The keys of one tenant's budget: its 429 pause, each lane's schedule (`…:tat`) and log, and `slot`, the slot
     * reserved for a holder (the tenant's own `…:slot` without one). A holder may carry user input (a device name), so
     * the key holds the first 32 hex digits of its SHA-256: short and safe.
     */
    budget: (tenantId: string, holder?: string) => {
      const budget = `${base}:budget:${tenantId}`;
      const slot = holder === undefined ? `${budget}:slot` : `${budget}:slot:${hash('sha256', holder).slice(0, 32)}`;
      return { pause: `${base}:pause:${tenantId}`, readTat: `${budget}:read:tat`, reads: `${budget}:read`, writeTat: `${budget}:write:tat`, writes: `${budget}:write`, slot };
    },
    tenantFacts: (tenantId: string) => `${base}:tenant-facts:${tenantId}`,
  };
}

export type GraphKeys = ReturnType<typeof graphKeys>;

/** SCAN patterns of the keys that name a tenant (a GUID part): how the dashboard learns of tenants it was not told of. */
export function tenantKeyPatterns(prefix: string): readonly string[] {
  return [`${prefix}:graph:budget:*`, `${prefix}:graph:pause:*`, `${prefix}:tenant:*`];
}
