import { startChaosRedis, type ChaosRedis } from '../support/chaos-redis';
import { ROOMY_BUDGET, ROOMY_THROTTLE, chaosScale, report, startChaosRun, type ChaosRun } from '../support/chaos-run';

/**
 * Fault scenario 1 (docs/reliability.md): worker processes killed with SIGKILL at random moments while they work
 * through hundreds of resets. Real intake and worker processes, a Redis of the scenario's own (AOF everysec).
  * `npm test` runs 500 resets, as the issue asks; `npm run chaos` (CHAOS_SCALE=2.5) runs 1,250.
 */
describe('chaos: worker processes killed at random moments', () => {
  let redis: ChaosRedis;
  let run: ChaosRun;
  const resets = Math.round(500 * chaosScale());

  beforeAll(async () => {
    redis = await startChaosRedis();
    run = await startChaosRun({
      label: 'crash',
      redisUrl: redis.url,
      intakes: 1,
      workers: 3,
      workerEnv: { ...ROOMY_BUDGET, WORKER_CONCURRENCY: '10' },
      sandbox: { throttleLimits: ROOMY_THROTTLE },
    });
  }, 60_000);

  afterAll(async () => {
    await run.close();
    await redis.close();
  });

  it(`finishes every one of ${String(resets)} requests with exactly one resetPasscode per device while workers are SIGKILLed`, async () => {
    const devices = run.seedDevices(resets, { outcome: 'done', activeAfterMs: 300, finalAfterMs: 2_500 });
    // Slow Graph answers keep calls in flight, so the kills land inside POSTs and polls.
    run.sandbox.control.injectFault({ method: 'POST', path: '/beta/deviceManagement/managedDevices/*/resetPasscode', fault: { kind: 'latency', ms: 150 } });
    run.sandbox.control.injectFault({ method: 'GET', path: '/v1.0/deviceManagement/managedDevices/*', fault: { kind: 'latency', ms: 50 } });
    const started = Date.now();
    const killing = { on: true };
    let killsInFlight = 0;
    // The killer: every 0.3–1.5 s, SIGKILL a random running worker and start its replacement.
    const killer = (async () => {
      for (;;) {
        await new Promise((r) => setTimeout(r, 300 + Math.random() * 1_200));
        if (!killing.on) break;
        const running = run.workers.running();
        const victim = running[Math.floor(Math.random() * running.length)];
        if (victim === undefined) continue;
        if (run.sandbox.control.calls.some((c) => c.outcome === 'pending')) killsInFlight += 1;
        await run.workers.restart(victim);
      }
    })();
    let ids: string[];
    try {
      ids = await run.submitAll(devices, 8);
      await run.untilFinal(ids, 240_000 * chaosScale());
    } finally {
      killing.on = false;
      await killer;
    }
    const seconds = (Date.now() - started) / 1000;

    expect(new Set(ids).size).toBe(resets);
    expect(await run.tally(ids)).toEqual({ succeeded: resets });
    const perDevice = devices.map((d) => run.sandbox.control.resetPasscodeCount(d));
    expect(perDevice.filter((n) => n !== 1)).toEqual([]);
    expect(run.resetPosts(devices)).toBe(resets);
    expect(run.workers.kills).toBeGreaterThanOrEqual(2);
    const takenOver = (await Promise.all(ids.map((id) => run.queues.reset.getJob(id)))).filter((job) => (job?.stalledCounter ?? 0) > 0).length;
    report('crash', { resets, kills: run.workers.kills, killsWithGraphCallsInFlight: killsInFlight, takenOver, resetPostsPerDevice: { min: Math.min(...perDevice), max: Math.max(...perDevice) }, seconds: Math.round(seconds) });
  }, 600_000 * chaosScale());
});
