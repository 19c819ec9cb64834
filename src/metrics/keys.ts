/**
 * The Redis keys of the metrics and the dashboard's rollups, all under the configured hash-tag prefix (so the
 * aggregator's multi-key script stays valid on Redis Cluster).
 */
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
    /** Tenant-level operator actions (pause, resume, blast-radius limit), newest first. */
    tenantActions: `${prefix}:ops:tenant-actions`,
  };
}

export type MetricsKeys = ReturnType<typeof metricsKeys>;

export const MINUTE_MS = 60_000;
export const HALF_HOUR_MS = 30 * MINUTE_MS;
