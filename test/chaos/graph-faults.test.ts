import { INTUNE_THROTTLE_LIMITS, type GraphCallRecord } from '@resetpc/sandbox';
import { startChaosRedis, type ChaosRedis } from '../support/chaos-redis';
import { chaosScale, report, startChaosRun, type ChaosRun } from '../support/chaos-run';

/**
 * Fault scenario 3 (docs/reliability.md): Microsoft Graph misbehaves throughout a run, under Intune's real throttle
 * limits and the product's default Graph budget: 10% of calls answer 5xx, 2% of responses are lost after the call
 * took effect, and storms of 429 with Retry-After hit every few seconds.
 */
const RETRY_AFTER_S = 2;
/** A call already on the wire when the 429 reached the worker may still arrive this long after the 429. */
const IN_FLIGHT_GRACE_MS = 500;

/** The most calls matching `keep` in any window of `windowMs`. */
function busiestWindow(calls: readonly GraphCallRecord[], windowMs: number, keep: (c: GraphCallRecord) => boolean): number {
  const times = calls.filter(keep).map((c) => c.at).sort((a, b) => a - b);
  let most = 0;
  for (let lo = 0, hi = 0; hi < times.length; hi++) {
    while ((times[hi] ?? 0) - (times[lo] ?? 0) >= windowMs) lo++;
    most = Math.max(most, hi - lo + 1);
  }
  return most;
}

describe('chaos: Graph 5xx, lost responses and 429 storms', () => {
  let redis: ChaosRedis;
  let run: ChaosRun;
  const total = Math.round(50 * chaosScale());

  beforeAll(async () => {
    redis = await startChaosRedis();
    // Intune's limits in the sandbox, the product's default budget (GRAPH_WRITE_BUDGET 180, GRAPH_READ_BUDGET 1800 per 20 s).
    run = await startChaosRun({ label: 'graph', redisUrl: redis.url, intakes: 1, workers: 2 });
  }, 60_000);

  afterAll(async () => {
    await run.close();
    await redis.close();
  });

  it('resets every device exactly once, fails no request, and honours every Retry-After', async () => {
    const devices = run.seedDevices(total, { outcome: 'done', activeAfterMs: 300, finalAfterMs: 1_500 });
    const { control } = run.sandbox;
    control.injectFault({ path: '/**', fault: { kind: 'lostResponse' }, probability: 0.02 });
    control.injectFault({ path: '/**', fault: { kind: 'status', status: 500 }, probability: 0.05 });
    control.injectFault({ path: '/**', fault: { kind: 'status', status: 503, retryAfterSeconds: 1 }, probability: 0.05 });
    const started = Date.now();
    const storming = { on: true };
    let storms = 0;
    // A storm 2 s in, then every 9–12 s: the next 5 calls within 3 s, whatever they are, get 429 with Retry-After.
    const stormer = (async () => {
      for (;;) {
        await new Promise((r) => setTimeout(r, storms === 0 ? 2_000 : 6_000 + Math.random() * 3_000));
        if (!storming.on) break;
        // A storm is a stretch of time: what it did not use within 3 s is dropped (else storms would pile up
        // while few calls are made, and meet the last requests all at once).
        const storm = control.injectFault({ path: '/**', sequence: Array.from({ length: 5 }, () => ({ kind: 'status' as const, status: 429 as const, retryAfterSeconds: RETRY_AFTER_S })) });
        storms += 1;
        await new Promise((r) => setTimeout(r, 3_000));
        control.faults.remove(storm);
      }
    })();
    let ids: string[];
    try {
      ids = await run.submitAll(devices, 8);
      const progress = setInterval(() => {
        void run.tally(ids).then((t) => process.stdout.write(`[chaos:graph-faults] ${String(Math.round((Date.now() - started) / 1000))} s ${JSON.stringify(t)}\n`));
      }, 5_000);
      try {
        await run.untilFinal(ids, 420_000 * chaosScale());
      } finally {
        clearInterval(progress);
      }
    } finally {
      storming.on = false;
      await stormer;
    }
    const seconds = (Date.now() - started) / 1000;
    const calls = control.calls.filter((c) => c.at >= started);

    expect(await run.tally(ids)).toEqual({ succeeded: total });
    const perDevice = devices.map((d) => control.resetPasscodeCount(d));
    expect(perDevice.filter((n) => n !== 1)).toEqual([]);

    // The faults happened: injected answers carry no app id (they come before the token check).
    const injected = (status: number): number => calls.filter((c) => c.outcome === status && c.appId === undefined).length;
    const lost = calls.filter((c) => c.outcome === 'lostResponse').length;
    const storm429 = injected(429);
    expect(storms).toBeGreaterThanOrEqual(1);
    expect(storm429).toBeGreaterThan(0);
    expect(injected(500) + injected(503)).toBeGreaterThan(0);
    expect(lost).toBeGreaterThan(0);
    // The sandbox's own throttle never had to refuse: the product stayed within Intune's limits.
    const throttled = calls.filter((c) => c.outcome === 429 && c.appId !== undefined).length;
    expect(throttled).toBe(0);
    const maxWrites = busiestWindow(calls, INTUNE_THROTTLE_LIMITS.windowMs, (c) => c.method !== 'GET');
    const maxRequests = busiestWindow(calls, INTUNE_THROTTLE_LIMITS.windowMs, () => true);
    expect(maxWrites).toBeLessThanOrEqual(INTUNE_THROTTLE_LIMITS.appWrites);
    expect(maxRequests).toBeLessThanOrEqual(INTUNE_THROTTLE_LIMITS.appRequests);
    // Retry-After is honoured by every process: after a 429 (and the calls already in flight), nothing until it ends.
    const insidePauses = calls.filter((c) => calls.some((t) => t.outcome === 429 && c.at > t.at + IN_FLIGHT_GRACE_MS && c.at < t.at + RETRY_AFTER_S * 1000 - IN_FLIGHT_GRACE_MS));
    expect(insidePauses.map((c) => `${c.method} ${c.path} ${String(c.outcome)}`)).toEqual([]);
    // BullMQ attempts used by failed steps (12 per request, for its whole life; the backoff doubles with each).
    const attempts = (await Promise.all(ids.map((id) => run.queues.reset.getJob(id)))).map((job) => job?.attemptsMade ?? 0);
    report('graph-faults', {
      requests: total,
      graphCalls: calls.length,
      injected5xx: injected(500) + injected(503),
      lostResponses: lost,
      lostResetPasscodeResponses: calls.filter((c) => c.outcome === 'lostResponse' && c.path.endsWith('/resetPasscode')).length,
      storms,
      storm429s: storm429,
      sandboxThrottled: throttled,
      busiest20sWindow: { writes: maxWrites, requests: maxRequests },
      callsInsideRetryAfter: insidePauses.length,
      resetPostsPerDevice: { min: Math.min(...perDevice), max: Math.max(...perDevice) },
      failed: 0,
      jobAttemptsUsed: { max: Math.max(...attempts), total: attempts.reduce((a, b) => a + b, 0) },
      seconds: Math.round(seconds),
    });
  }, 900_000 * chaosScale());
});
