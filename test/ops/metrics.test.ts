import { DURATION_BUCKETS_SECONDS, bucketIndex, quantileFromBuckets } from '../../src/metrics/buckets';
import { createAuditAggregator } from '../../src/metrics/aggregator';
import { metricsKeys } from '../../src/metrics/keys';
import { createMetricsRecorder } from '../../src/metrics/recorder';
import { waitFor } from '../support/env';
import { createTestIntake, type TestIntake } from '../support/intake';
import { signIn } from './session';
import { submit, walk } from './support';

/** GET /metrics and the overview's charts: what the audit stream and the workers' counters say, read from Redis. */
let t: TestIntake;
const TENANT = '3a2b1c0d-1e2f-4a5b-8c6d-7e8f9a0b1c2d';

beforeAll(async () => {
  t = await createTestIntake('opsmetrics', { RATE_LIMIT_MAX: '10000' });
});

afterAll(async () => {
  await t.close();
});

async function scrape(): Promise<string> {
  const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: t.auth('operator') });
  expect(res.statusCode).toBe(200);
  return res.body;
}

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('duration buckets', () => {
  it('estimates quantiles inside a bucket, as histogram_quantile does', () => {
    expect(bucketIndex(0.05)).toBe(0);
    expect(bucketIndex(1)).toBe(3);
    expect(bucketIndex(1.5)).toBe(4);
    expect(bucketIndex(10 ** 9)).toBe(DURATION_BUCKETS_SECONDS.length);
    const counts = new Array<number>(DURATION_BUCKETS_SECONDS.length + 1).fill(0);
    expect(quantileFromBuckets(counts, 0.5)).toBeUndefined();
    counts[bucketIndex(3)] = 10; // ten observations in (2, 5]
    expect(quantileFromBuckets(counts, 0.5)).toBeCloseTo(3.5);
    expect(quantileFromBuckets(counts, 0.95)).toBeCloseTo(4.85);
  });
});

describe('requests by outcome and reason, stage durations, time to outcome', () => {
  it('folds every transition in once, even with two processes aggregating at the same time', async () => {
    const ok = await submit(t, 'MET-SN-1');
    await walk(t, ok, 'checking_eligibility', 'approved', 'submitting', 'succeeded');
    const bad = await submit(t, 'MET-SN-2');
    await walk(t, bad, 'checking_eligibility', 'failed');
    const no = await submit(t, 'MET-SN-3');
    await walk(t, no, 'checking_eligibility', 'ineligible');

    const a = createAuditAggregator(t.redis, t.prefix);
    const b = createAuditAggregator(t.redis, t.prefix);
    await Promise.all([a.catchUp(), b.catchUp(), a.catchUp()]);
    await a.catchUp();

    const text = await scrape();
    expect(value(text, 'resetpc_request_outcomes_total{outcome="succeeded",reason="done"}')).toBe(1);
    expect(value(text, 'resetpc_request_outcomes_total{outcome="failed",reason="action_failed"}')).toBe(1);
    expect(value(text, 'resetpc_request_outcomes_total{outcome="ineligible",reason="ineligible"}')).toBe(1);
    expect(value(text, 'resetpc_stage_duration_seconds_count{stage="received"}')).toBe(3);
    expect(value(text, 'resetpc_stage_duration_seconds_count{stage="checking_eligibility"}')).toBe(3);
    expect(value(text, 'resetpc_stage_duration_seconds_count{stage="submitting"}')).toBe(1);
    expect(value(text, 'resetpc_stage_duration_seconds_bucket{stage="submitting",le="+Inf"}')).toBe(1);
    expect(value(text, 'resetpc_time_to_outcome_seconds_count{outcome="succeeded"}')).toBe(1);
    expect(value(text, 'resetpc_time_to_outcome_seconds_bucket{outcome="succeeded",le="5"}')).toBe(1);
    expect(value(text, 'resetpc_metrics_aggregator_lag_seconds')).toBe(0);
    expect(await t.redis.hlen(metricsKeys(t.prefix).lastTransition)).toBe(0);

    // A retry and a second outcome count again; nothing counted before is counted twice.
    await walk(t, bad, 'checking_eligibility', 'approved', 'submitting', 'succeeded');
    await Promise.all([a.catchUp(), b.catchUp()]);
    const again = await scrape();
    expect(value(again, 'resetpc_request_outcomes_total{outcome="succeeded",reason="done"}')).toBe(2);
    expect(value(again, 'resetpc_request_outcomes_total{outcome="failed",reason="action_failed"}')).toBe(1);
    expect(value(again, 'resetpc_stage_duration_seconds_count{stage="checking_eligibility"}')).toBe(4);
  });

  it('draws the overview\'s throughput and time-to-outcome from the same rollups', async () => {
    const login = await signIn(t, 'operator');
    const body = (await t.app.inject({ method: 'GET', url: '/ops', headers: { cookie: login.cookie } })).body;
    expect(body).toMatch(/Last hour: 4 finished \(2 succeeded\); time to outcome p50 \d/);
    expect(body).toMatch(/Last day: 4 finished \(2 succeeded\)/);
    expect(body).toContain('class="bar fail"');
    expect(body).toContain('<polyline class="p95"');
  });
});

describe('counters from worker processes', () => {
  it('reports Graph calls, 429s, budget waits and notification failures recorded by any process', async () => {
    const recorder = createMetricsRecorder(t.redis, t.prefix);
    recorder.graphCall('getDevice', 200);
    recorder.graphCall('getDevice', 200);
    recorder.graphCall('resetPasscode', 429);
    recorder.graphThrottled(TENANT);
    recorder.budgetWait(TENANT, 'budget', 1500);
    recorder.budgetWait(TENANT, 'paused', 500);
    recorder.notificationFailed('email', 'succeeded', true);
    await waitFor(async () => (await t.redis.hlen(metricsKeys(t.prefix).counters)) === 8, 5000, 'the counters to land');
    const text = await scrape();
    expect(value(text, 'resetpc_graph_calls_total{route="getDevice",status="200"}')).toBe(2);
    expect(value(text, 'resetpc_graph_calls_total{route="resetPasscode",status="429"}')).toBe(1);
    expect(value(text, `resetpc_graph_throttled_total{tenant="${TENANT}"}`)).toBe(1);
    expect(value(text, `resetpc_graph_budget_wait_seconds_total{tenant="${TENANT}",why="budget"}`)).toBe(1.5);
    expect(value(text, `resetpc_graph_budget_waits_total{tenant="${TENANT}",why="paused"}`)).toBe(1);
    expect(value(text, 'resetpc_notification_failures_total{channel="email",event="succeeded",attempt="final"}')).toBe(1);
  });

  it('reports each known tenant\'s budget use and submission controls', async () => {
    const login = await signIn(t, 'admin');
    const body = new URLSearchParams({ _csrf: login.csrf, reason: 'drill' }).toString();
    const res = await t.app.inject({ method: 'POST', url: `/ops/tenants/${TENANT}/pause`, payload: body, headers: { cookie: login.cookie, 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.statusCode).toBe(303);
    const text = await scrape();
    expect(value(text, `resetpc_submissions_paused{tenant="${TENANT}"}`)).toBe(1);
    expect(value(text, `resetpc_blast_radius_limit{tenant="${TENANT}"}`)).toBe(100);
    expect(value(text, `resetpc_blast_radius_used{tenant="${TENANT}"}`)).toBe(0);
    expect(value(text, `resetpc_graph_budget_limit{tenant="${TENANT}",kind="write"}`)).toBe(180);
    expect(value(text, `resetpc_graph_budget_used{tenant="${TENANT}",kind="read"}`)).toBe(0);
  });
});
