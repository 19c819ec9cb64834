/**
 * The passcode is on v1.0 too (issue 11, section 2): `resetPasscodeActionResult` documents `passcode` and `errorCode`
 * on v1.0 as on beta (learn.microsoft.com/graph/api/resources/intune-devices-resetpasscodeactionresult?view=graph-rest-1.0;
 * the v1.0 typings, @microsoft/microsoft-graph-types `ResetPasscodeActionResult`). So the product's own read path, the
 * gateway's v1.0 `resetActionResults`, receives the passcode on the wire, and must drop it: proven with the sandbox's
 * canary passcode, on that path itself. The error code comes through.
 */
import type { Redis } from 'ioredis';
import { DEFAULT_BUDGET_LIMITS, GraphBudget } from '../../src/graph/budget';
import { createIntuneGateway } from '../../src/graph/gateway';
import { createRedis, waitForReady } from '../../src/redis/connection';
import { FIXTURE_DEVICES, SANDBOX_CANARY_PASSCODE_PREFIX } from '@resetpc/sandbox';
import { startTestSandbox, type TestSandbox } from '../sandbox/harness';
import { testRedisUrl, uniquePrefix } from '../support/env';

describe('the production read path of action results', () => {
  let t: TestSandbox;
  let redis: Redis;
  const prefix = uniquePrefix('canary');

  beforeAll(async () => {
    t = await startTestSandbox();
    redis = createRedis(testRedisUrl(), 'worker', { name: 'canary-test' });
    await waitForReady(redis, 5000);
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    await t.close();
  });

  const gateway = () => createIntuneGateway({ client: t.graph(), budget: new GraphBudget(redis, prefix, DEFAULT_BUDGET_LIMITS, () => t.clock.now()), tenantId: t.sandbox.tenantId, redis, prefix });

  it('receives the canary passcode on v1.0 and hands the workflow none of it', async () => {
    const id = FIXTURE_DEVICES.androidDedicated;
    t.sandbox.control.scriptAction(id, { outcome: 'done', activeAfterMs: 0, finalAfterMs: 1_000 });
    const gw = gateway();
    await gw.resetPasscode(id);
    t.clock.advance(1_000);
    // On the wire, v1.0: the passcode is there.
    const wire: unknown = await t.request(`/deviceManagement/managedDevices/${id}`, { version: 'v1.0' }).select(['deviceActionResults']).get();
    expect(JSON.stringify(wire)).toContain(SANDBOX_CANARY_PASSCODE_PREFIX);
    // Through the production path: not a trace of it.
    const results = await gw.resetActionResults(id);
    expect(results).toEqual([expect.objectContaining({ actionName: 'resetPasscode', actionState: 'done' })]);
    expect(JSON.stringify(results)).not.toContain(SANDBOX_CANARY_PASSCODE_PREFIX);
    expect(JSON.stringify(results).toLowerCase()).not.toContain('"passcode"');
  });

  it('carries the error code of a failed reset', async () => {
    const id = FIXTURE_DEVICES.androidNoPasscodePolicy;
    const gw = gateway();
    await gw.resetPasscode(id);
    t.clock.advance(60_000);
    const [result] = await gw.resetActionResults(id);
    expect(result).toMatchObject({ actionState: 'failed', errorCode: expect.any(Number) });
    expect(result?.errorCode).not.toBe(0);
  });
});
