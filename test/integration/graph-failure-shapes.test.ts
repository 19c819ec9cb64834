/**
 * Failure shapes of the real Intune service behind Graph, as users report them, and what the product's gateway makes
 * of each (issue 11, section 5):
 * - a 429 with no Retry-After (DOMAIN.md §2; learn.microsoft.com/graph/throttling: "If no Retry-After header is
 *   provided, back off exponentially"): the gateway waits its default, and the whole tenant pauses for it;
 * - Intune's error body, whose `message` is a JSON document in a string (microsoftgraph/microsoft-graph-docs-contrib#4603,
 *   #4523): the product branches on status and code only, never echoes that text, and keeps the request-id;
 * - device configuration reads throttled in their own, smaller class (learn.microsoft.com/graph/throttling-limits,
 *   "Intune service limits": device configuration requests have half the budget): the tenant check is throttled while
 *   device reads are not; the product pauses the tenant's Graph calls for the Retry-After (the safe reading: it does
 *   not know which class a 429 came from) and checks again afterwards.
 */
import type { Redis } from 'ioredis';
import { DEFAULT_BUDGET_LIMITS, GraphBudget } from '../../src/graph/budget';
import { DEFAULT_THROTTLE_WAIT_MS, GraphBudgetWait } from '../../src/graph/errors';
import { createIntuneGateway } from '../../src/graph/gateway';
import { createRedis, waitForReady } from '../../src/redis/connection';
import { FIXTURE_DEVICES, INTUNE_THROTTLE_LIMITS } from '@resetpc/sandbox';
import { startTestSandbox, type TestSandbox } from '../sandbox/harness';
import { testRedisUrl, uniquePrefix } from '../support/env';

describe('Graph failure shapes', () => {
  let t: TestSandbox;
  let redis: Redis;
  const prefix = uniquePrefix('graph-shapes');

  beforeAll(async () => {
    t = await startTestSandbox();
    redis = createRedis(testRedisUrl(), 'worker', { name: 'graph-shapes-test' });
    await waitForReady(redis, 5000);
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    await t.close();
  });

  const gatewayFor = (label: string) => {
    const budget = new GraphBudget(redis, `${prefix}${label}`, DEFAULT_BUDGET_LIMITS, () => t.clock.now());
    return { budget, gateway: createIntuneGateway({ client: t.graph(), budget, tenantId: t.sandbox.tenantId, redis, prefix: `${prefix}${label}` }) };
  };
  const failure = async (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (e: unknown) => e);

  it('waits its default on a 429 that carries no Retry-After, and pauses the tenant for that long', async () => {
    const { gateway, budget } = gatewayFor('a');
    const id = FIXTURE_DEVICES.androidDedicated;
    t.sandbox.control.injectFault({ method: 'GET', path: `/beta/deviceManagement/managedDevices/${id}`, sequence: [{ kind: 'status', status: 429, retryAfterSeconds: null }] });
    t.sandbox.control.injectFault({ method: 'GET', path: `/v1.0/deviceManagement/managedDevices/${id}`, sequence: [{ kind: 'status', status: 429, retryAfterSeconds: null }] });
    const e = await failure(gateway.getDevice(id));
    expect(e).toMatchObject({ code: 'graph_throttled', status: 429, retryAfterMs: DEFAULT_THROTTLE_WAIT_MS });
    const answered = t.sandbox.control.calls.filter((c) => c.path.endsWith(`/managedDevices/${id}`)).at(-1);
    expect(answered?.outcome).toBe(429);
    expect(await budget.pausedForMs(t.sandbox.tenantId)).toBe(DEFAULT_THROTTLE_WAIT_MS);
    expect(await failure(gateway.resetPasscode(id))).toBeInstanceOf(GraphBudgetWait);
    expect(t.sandbox.control.resetPasscodeCount(id)).toBe(0);
  });

  it('pauses on a throttled device-configuration read, then checks the tenant again once the window has passed', async () => {
    const { gateway, budget } = gatewayFor('c');
    t.clock.advance(INTUNE_THROTTLE_LIMITS.windowMs);
    t.sandbox.control.setThrottleLimits({ appConfigReads: 1 });
    try {
      const e = await failure(gateway.tenantFacts());
      expect(e).toMatchObject({ code: 'graph_throttled', status: 429 });
      const wait = (e as { retryAfterMs: number }).retryAfterMs;
      expect(wait).toBeGreaterThan(0);
      expect(await budget.pausedForMs(t.sandbox.tenantId)).toBe(wait);
      // Intune itself still serves device reads (only the configuration class is spent); the product waits anyway.
      await expect(t.intune().getDevice(FIXTURE_DEVICES.androidAosp)).resolves.toMatchObject({ id: FIXTURE_DEVICES.androidAosp });
      expect(await failure(gateway.getDevice(FIXTURE_DEVICES.androidAosp))).toBeInstanceOf(GraphBudgetWait);
      t.sandbox.control.setThrottleLimits({ appConfigReads: INTUNE_THROTTLE_LIMITS.appConfigReads });
      t.clock.advance(INTUNE_THROTTLE_LIMITS.windowMs);
      await expect(gateway.tenantFacts()).resolves.toBeDefined();
    } finally {
      t.sandbox.control.setThrottleLimits(INTUNE_THROTTLE_LIMITS);
    }
  });

  it('maps Intune\'s JSON-in-a-string error by status, keeps the request-id and never repeats Intune\'s text', async () => {
    const { gateway } = gatewayFor('b');
    const id = FIXTURE_DEVICES.androidFullyManaged;
    t.sandbox.control.injectFault({ path: `/*/deviceManagement/managedDevices/${id}`, sequence: [{ kind: 'status', status: 500 }] });
    const e = (await failure(gateway.getDevice(id))) as Error & { code?: string; requestId?: string };
    expect(e).toMatchObject({ code: 'graph_unavailable', status: 500, permanent: false });
    expect(e.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(e.message).toContain(`request-id ${e.requestId ?? ''}`);
    expect(e.message).not.toMatch(/_version|Operation ID|CustomApiErrorPhrase/);
  });
});
