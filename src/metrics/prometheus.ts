import type { Redis } from 'ioredis';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { DURATION_BUCKETS_SECONDS } from './buckets';
import { storeCall } from '../store/errors';
import { storeKeys } from '../store/keys';
import { metricsKeys } from './keys';
import type { SnapshotReader } from './snapshot';

/**
 * GET /metrics in the Prometheus text format. Everything is read from Redis at scrape time, so any intake process
 * reports the same totals for every process (see docs/operations.md "Metrics" and ADR 009):
 * - live gauges: requests per state, queue depths, Graph budget use, submission controls (pause, blast radius);
 * - counters folded from the audit stream by the aggregator: outcomes by reason;
 * - histograms from the same: time in each state, time to outcome;
 * - counters added by worker processes through src/metrics/recorder.ts: Graph calls, 429s, budget waits, notification failures;
 * - this process's own Node.js metrics (resetpc_intake_ prefix).
 */
export interface MetricsRenderer {
  readonly contentType: string;
  render(): Promise<string>;
}

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function histogramText(name: string, help: string, label: string, hash: Record<string, string>): string {
  const groups = new Map<string, Record<string, number>>();
  for (const [field, value] of Object.entries(hash)) {
    const [group, part] = field.split('|');
    if (group === undefined || part === undefined) continue;
    const g = groups.get(group) ?? {};
    g[part] = Number(value);
    groups.set(group, g);
  }
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
  for (const [group, parts] of [...groups.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const l = `${label}="${escapeLabel(group)}"`;
    let cumulative = 0;
    DURATION_BUCKETS_SECONDS.forEach((upper, i) => {
      cumulative += parts[`b${String(i)}`] ?? 0;
      lines.push(`${name}_bucket{${l},le="${String(upper)}"} ${String(cumulative)}`);
    });
    cumulative += parts[`b${String(DURATION_BUCKETS_SECONDS.length)}`] ?? 0;
    lines.push(`${name}_bucket{${l},le="+Inf"} ${String(cumulative)}`);
    lines.push(`${name}_sum{${l}} ${String(parts.sum ?? 0)}`);
    lines.push(`${name}_count{${l}} ${String(parts.count ?? 0)}`);
  }
  return `${lines.join('\n')}\n`;
}

export function createMetricsRenderer(deps: { redis: Redis; prefix: string; snapshot: SnapshotReader; defaultMetrics?: boolean }): MetricsRenderer {
  const keys = metricsKeys(deps.prefix);
  const audit = storeKeys(deps.prefix).audit;
  const registry = new Registry();
  if (deps.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'resetpc_intake_' });
  const g = <T extends string>(name: string, help: string, labelNames: readonly T[]) => new Gauge<T>({ name, help, labelNames, registers: [registry] });
  const c = <T extends string>(name: string, help: string, labelNames: readonly T[]) => new Counter<T>({ name, help, labelNames, registers: [registry] });

  const requests = g('resetpc_requests', 'Requests now in each state', ['state']);
  const queueJobs = g('resetpc_queue_jobs', 'Jobs in each BullMQ queue, by status', ['queue', 'status']);
  const undeliverable = g('resetpc_notifications_undeliverable', 'Notifications that failed every attempt (failed jobs in the notify queue)', []);
  const budgetUsed = g('resetpc_graph_budget_used', 'Graph calls admitted in the current budget window, per tenant and kind', ['tenant', 'kind']);
  const budgetLimit = g('resetpc_graph_budget_limit', 'The Graph budget per window, per tenant and kind', ['tenant', 'kind']);
  const graphPaused = g('resetpc_graph_paused_seconds', 'How much longer a tenant\'s Graph calls are paused by a 429', ['tenant']);
  const submissionsPaused = g('resetpc_submissions_paused', '1 when an operator paused a tenant\'s submissions', ['tenant']);
  const blastLimit = g('resetpc_blast_radius_limit', 'Resets a tenant may submit per rolling hour', ['tenant']);
  const blastUsed = g('resetpc_blast_radius_used', 'Resets submitted in the last hour, per tenant', ['tenant']);
  const held = g('resetpc_requests_held', 'Approved requests waiting to be submitted, by why (paused, blast_radius)', ['why']);
  const outcomes = c('resetpc_request_outcomes_total', 'Requests that reached a final state, by outcome and reason', ['outcome', 'reason']);
  const graphCalls = c('resetpc_graph_calls_total', 'Graph calls by gateway route and HTTP status (0: no response)', ['route', 'status']);
  const throttled = c('resetpc_graph_throttled_total', 'Graph 429 responses, per tenant', ['tenant']);
  const budgetWaits = c('resetpc_graph_budget_waits_total', 'Graph calls told to wait by the budget or a 429 pause', ['tenant', 'why']);
  const budgetWaitSeconds = c('resetpc_graph_budget_wait_seconds_total', 'Time Graph calls were told to wait by the budget or a 429 pause', ['tenant', 'why']);
  const notifyFailures = c('resetpc_notification_failures_total', 'Failed notification attempts, by channel, event and whether another attempt follows', ['channel', 'event', 'attempt']);
  const lag = g('resetpc_metrics_aggregator_lag_seconds', 'How far the metrics aggregator is behind the audit stream (newest entry minus the newest folded in; 0 when caught up or not started)', []);

  const counterSpecs: Readonly<Record<string, { metric: Counter; labels: readonly string[] }>> = {
    graph_calls: { metric: graphCalls, labels: ['route', 'status'] },
    graph_throttled: { metric: throttled, labels: ['tenant'] },
    budget_waits: { metric: budgetWaits, labels: ['tenant', 'why'] },
    budget_wait_seconds: { metric: budgetWaitSeconds, labels: ['tenant', 'why'] },
    notification_failures: { metric: notifyFailures, labels: ['channel', 'event', 'attempt'] },
  };

  let chain: Promise<unknown> = Promise.resolve();

  async function renderOnce(): Promise<string> {
    // Every read from Redis, first: a failure there is StoreUnavailableError (GET /metrics answers 503), not a bug.
    const [snapshot, hashes] = await storeCall(() =>
      Promise.all([
        deps.snapshot.snapshot(),
        (async () => {
          const out = (await deps.redis.pipeline().hgetall(keys.outcomes).hgetall(keys.counters).hgetall(keys.stages).hgetall(keys.timeToOutcome).get(keys.checkpoint).xrevrange(audit, '+', '-', 'COUNT', 1).exec()) ?? [];
          return out.map(([err, value]) => {
            if (err !== null) throw err;
            return value;
          }) as [Record<string, string>, Record<string, string>, Record<string, string>, Record<string, string>, string | null, [string, string[]][]];
        })(),
      ]),
    );
    const [outcomeHash, counterHash, stageHash, ttoHash, checkpoint, newest] = hashes;
    for (const m of [requests, queueJobs, undeliverable, budgetUsed, budgetLimit, graphPaused, submissionsPaused, blastLimit, blastUsed, held, outcomes, graphCalls, throttled, budgetWaits, budgetWaitSeconds, notifyFailures, lag]) m.reset();

    for (const [state, n] of Object.entries(snapshot.states)) requests.set({ state }, n);
    for (const [queue, counts] of Object.entries(snapshot.queues)) for (const [status, n] of Object.entries(counts)) queueJobs.set({ queue, status }, n);
    undeliverable.set(snapshot.queues.notify.failed);
    for (const t of snapshot.tenants) {
      const tenant = t.tenantId;
      budgetUsed.set({ tenant, kind: 'read' }, t.budget.reads);
      budgetUsed.set({ tenant, kind: 'write' }, t.budget.writes);
      budgetLimit.set({ tenant, kind: 'read' }, t.budget.readLimit);
      budgetLimit.set({ tenant, kind: 'write' }, t.budget.writeLimit);
      graphPaused.set({ tenant }, t.budget.pausedForMs / 1000);
      submissionsPaused.set({ tenant }, t.submissions.paused === null ? 0 : 1);
      blastLimit.set({ tenant }, t.submissions.blastRadius.limitPerHour);
      blastUsed.set({ tenant }, t.submissions.blastRadius.usedLastHour);
    }
    held.set({ why: 'paused' }, snapshot.held.paused);
    held.set({ why: 'blast_radius' }, snapshot.held.blast_radius);
    for (const [field, value] of Object.entries(outcomeHash)) {
      const [outcome, reason] = field.split('|');
      if (outcome !== undefined && reason !== undefined) outcomes.inc({ outcome, reason }, Number(value));
    }
    for (const [field, value] of Object.entries(counterHash)) {
      const [name, ...labels] = field.split('|');
      const spec = name === undefined ? undefined : counterSpecs[name];
      if (spec?.labels.length !== labels.length) continue;
      spec.metric.inc(Object.fromEntries(spec.labels.map((l, i) => [l, labels[i] ?? ''])), Number(value));
    }
    const msOf = (id: string | undefined): number => Number((id ?? '').split('-')[0]);
    const newestMs = msOf(newest[0]?.[0]);
    const checkpointMs = checkpoint === null ? NaN : msOf(checkpoint);
    lag.set(Number.isFinite(newestMs) && Number.isFinite(checkpointMs) ? Math.max(0, (newestMs - checkpointMs) / 1000) : 0);

    return (
      (await registry.metrics()) +
      histogramText('resetpc_stage_duration_seconds', 'Time requests spent in each state before leaving it', 'stage', stageHash) +
      histogramText('resetpc_time_to_outcome_seconds', 'Time from a request\'s creation to its final state, by outcome', 'outcome', ttoHash)
    );
  }

  return {
    contentType: registry.contentType,
    render() {
      const next = chain.then(renderOnce, renderOnce);
      chain = next.catch(() => undefined);
      return next;
    },
  };
}
