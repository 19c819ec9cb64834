import { createWorkerFleet, type WorkerFleet } from '../support/worker-process';
import { startChaosRedis, type ChaosRedis } from '../support/chaos-redis';
import { TOLERANCE_SHARE } from '../../src/graph/budget';
import { ROOMY_BUDGET, ROOMY_THROTTLE, chaosScale, report, startChaosRun, type ChaosRun } from '../support/chaos-run';

/**
 * Fault scenario 5 (docs/reliability.md): 2 intake and 3 worker processes on one Redis. The guarantees hold, and
 * throughput grows with the workers until the Graph budget binds. Timing ratios are only loosely asserted (a noisy
 * 2-core machine); the figures go to docs/reliability.md.
 */
const WORKER = { WORKER_CONCURRENCY: '5' };
const BOUND_WINDOW_MS = 5_000;
const BOUND_WRITES = 5;
const GRAPH_LATENCY_MS = 300;
/**
 * How much later one POST may reach the sandbox after its admission than another (see the window check). Alone on the
 * machine the tightest 6-POST span measures 4,954–4,974 ms (a few tens of ms of lag); inside `npm test`, beside another
 * jest worker, one CI run measured a span under 4,500 ms, so the lag there exceeded 250 ms.
 */
const ARRIVAL_LAG_MS = 750;

describe('chaos: scale-out to 2 intakes and 3 workers', () => {
  let redis: ChaosRedis;
  let run: ChaosRun;
  let bound: WorkerFleet | undefined;
  const batch = Math.round(40 * chaosScale());

  beforeAll(async () => {
    redis = await startChaosRedis();
    run = await startChaosRun({ label: 'scale', redisUrl: redis.url, intakes: 2, workers: 1, workerEnv: { ...ROOMY_BUDGET, ...WORKER }, sandbox: { throttleLimits: ROOMY_THROTTLE } });
  }, 60_000);

  afterAll(async () => {
    await bound?.stop();
    await run.close();
    await redis.close();
  });

  /** Submits `n` new devices over both intakes and waits until all are final; resolves with requests per second. */
  async function timedBatch(n: number): Promise<{ ids: string[]; devices: string[]; perSecond: number; seconds: number }> {
    const devices = run.seedDevices(n, { outcome: 'done', activeAfterMs: 300, finalAfterMs: 1_000 });
    const started = Date.now();
    const ids = await run.submitAll(devices, 6);
    await run.untilFinal(ids, 180_000 * chaosScale());
    const seconds = (Date.now() - started) / 1000;
    return { ids, devices, perSecond: n / seconds, seconds };
  }

  it('keeps every guarantee, and throughput grows with the workers until the Graph budget binds', async () => {
    // Graph answers in 300 ms, as it often does: a worker's slots are busy during calls, so its concurrency binds
    // (between calls a request waits as a delayed job and holds no slot).
    run.sandbox.control.injectFault({ path: '/**', fault: { kind: 'latency', ms: GRAPH_LATENCY_MS } });
    const one = await timedBatch(batch);
    await run.workers.start(2);
    const three = await timedBatch(batch);

    // The same three workers' worth of processes, now with a write budget of 5 per 5 s (1/s): the budget binds.
    await run.workers.stop();
    bound = createWorkerFleet({
      sandbox: run.sandbox,
      redisUrl: redis.url,
      prefix: run.prefix,
      resetQueue: run.queues.reset,
      env: { ...WORKER, GRAPH_WINDOW_MS: String(BOUND_WINDOW_MS), GRAPH_WRITE_BUDGET: String(BOUND_WRITES), GRAPH_READ_BUDGET: '1000' },
    });
    await bound.start(3);
    const boundStart = Date.now();
    const limited = await timedBatch(Math.round(batch / 3));

    const all = [one, three, limited];
    const ids = all.flatMap((b) => b.ids);
    const devices = all.flatMap((b) => b.devices);
    expect(new Set(ids).size).toBe(ids.length);
    expect(await run.tally(ids)).toEqual({ succeeded: ids.length });
    expect(devices.map((d) => run.sandbox.control.resetPasscodeCount(d)).filter((n) => n !== 1)).toEqual([]);
    // Both intakes took requests.
    expect(run.intakes.all.map((i) => i.running)).toEqual([true, true]);
    // Three workers do clearly more than one (about 3× when nothing else binds; asserted loosely).
    expect(three.perSecond).toBeGreaterThan(one.perSecond * 1.4);
    // With the small budget, the three processes share one write schedule (1 POST per second), whatever their count.
    // What Graph sees is timed at the sandbox on arrival, the budget times its admission, so the window check allows
    // for two lags: a reserved slot may be taken up to the budget's tolerance late (5 % of the window, ADR 010), and a
    // call reaches the sandbox some time after its admission on this loaded 2-core machine (ARRIVAL_LAG_MS).
    const posts = run.sandbox.control.calls.filter((c) => c.at >= boundStart && c.method === 'POST').map((c) => c.at).sort((a, b) => a - b);
    const grace = BOUND_WINDOW_MS * TOLERANCE_SHARE + ARRIVAL_LAG_MS;
    let most = 0;
    for (let lo = 0, hi = 0; hi < posts.length; hi++) {
      while ((posts[hi] ?? 0) - (posts[lo] ?? 0) >= BOUND_WINDOW_MS - grace) lo++;
      most = Math.max(most, hi - lo + 1);
    }
    // The tightest span of BOUND_WRITES + 1 consecutive POSTs, and the whole run's span, for the report and a failure.
    const spans = posts.slice(BOUND_WRITES).map((at, i) => at - (posts[i] ?? 0));
    const tightest = spans.length === 0 ? undefined : Math.min(...spans);
    const offsets = posts.map((at) => at - (posts[0] ?? 0));
    if (most > BOUND_WRITES) throw new Error(`${String(most)} POSTs in a ${String(BOUND_WINDOW_MS - grace)} ms window (tightest ${String(BOUND_WRITES + 1)}-POST span ${String(tightest)} ms); POST offsets (ms): ${offsets.join(', ')}`);
    // Over the whole batch, one shared schedule: n POSTs take at least (n - 1) intervals, less the same two lags (three
    // budgets of their own would take a third of that).
    const interval = BOUND_WINDOW_MS / BOUND_WRITES;
    expect(offsets.at(-1) ?? 0).toBeGreaterThanOrEqual((posts.length - 1) * interval - grace);
    expect(limited.perSecond).toBeLessThan(three.perSecond);
    const round = (x: number): number => Math.round(x * 100) / 100;
    report('scale-out', {
      intakes: 2,
      batch,
      workerConcurrency: Number(WORKER.WORKER_CONCURRENCY),
      graphLatencyMs: GRAPH_LATENCY_MS,
      oneWorker: { perSecond: round(one.perSecond), seconds: round(one.seconds) },
      threeWorkers: { perSecond: round(three.perSecond), seconds: round(three.seconds) },
      threeWorkersBudgetBound: { writeBudget: `${String(BOUND_WRITES)} per ${String(BOUND_WINDOW_MS / 1000)} s`, requests: limited.ids.length, perSecond: round(limited.perSecond), seconds: round(limited.seconds), busiestWindowPosts: most, tightestSpanMs: tightest },
      speedup: round(three.perSecond / one.perSecond),
      resetPostsPerDevice: 1,
    });
  }, 600_000 * chaosScale());
});
