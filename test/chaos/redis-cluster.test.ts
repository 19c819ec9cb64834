import { startRedisCluster, type ChaosRedisCluster } from '../support/chaos-redis';
import { ROOMY_BUDGET, ROOMY_THROTTLE, chaosScale, report, startChaosRun, type ChaosRun } from '../support/chaos-run';

/**
 * Fault scenario 6 (docs/reliability.md): the whole flow on a 3-master Redis Cluster that the test starts
 * (`redis-server --cluster-enabled yes`, joined by `redis-cli --cluster create`), with REDIS_URL=redis-cluster://…
 * Every key lives under the hash tag REDIS_PREFIX, so BullMQ's and the store's multi-key scripts stay in one slot.
 */
describe('chaos: the product on a Redis Cluster', () => {
  let cluster: ChaosRedisCluster;
  let run: ChaosRun;
  const total = Math.round(60 * chaosScale());

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    run = await startChaosRun({ label: 'cluster', redisUrl: cluster.url, intakes: 2, workers: 2, workerEnv: ROOMY_BUDGET, sandbox: { throttleLimits: ROOMY_THROTTLE } });
  }, 90_000);

  afterAll(async () => {
    await run.close();
    await cluster.close();
  });

  it('runs every request to the end with one resetPasscode each, a worker killed on the way, all keys in one slot', async () => {
    const devices = run.seedDevices(total, { outcome: 'done', activeAfterMs: 300, finalAfterMs: 1_500 });
    run.sandbox.control.injectFault({ method: 'POST', path: '/beta/deviceManagement/managedDevices/*/resetPasscode', fault: { kind: 'latency', ms: 150 } });
    const started = Date.now();
    const submitting = run.submitAll(devices, 6);
    // Kill a worker once the first resets are in flight; its jobs are taken over through the cluster.
    await run.until('the first resetPasscode POSTs', 60_000, [], () => run.resetPosts(devices) >= 5);
    const [victim] = run.workers.running();
    if (victim === undefined) throw new Error('no worker is running');
    await run.workers.restart(victim);
    const ids = await submitting;
    await run.untilFinal(ids, 120_000 * chaosScale());
    const seconds = (Date.now() - started) / 1000;

    expect(new Set(ids).size).toBe(total);
    expect(await run.tally(ids)).toEqual({ succeeded: total });
    expect(devices.map((d) => run.sandbox.control.resetPasscodeCount(d)).filter((n) => n !== 1)).toEqual([]);
    expect(run.workers.kills).toBe(1);
    // The hash tag keeps every key of the product on one node: the others hold none.
    const keyCounts = await cluster.keyCounts();
    expect(keyCounts.filter((n) => n > 0)).toHaveLength(1);
    const slot = Number(await run.redis.call('CLUSTER', 'KEYSLOT', run.prefix));
    report('redis-cluster', { masters: 3, intakes: 2, workers: 2, requests: total, kills: run.workers.kills, keysPerNode: keyCounts, prefixSlot: slot, resetPostsPerDevice: 1, seconds: Math.round(seconds) });
  }, 300_000 * chaosScale());
});
