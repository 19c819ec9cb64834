/**
 * Throttling per the Intune devices service limits. Docs: learn.microsoft.com/graph/throttling-limits
 * (Intune service limits) and learn.microsoft.com/graph/throttling (429 with Retry-After).
 * Pages: https://learn.microsoft.com/en-us/graph/throttling-limits and https://learn.microsoft.com/en-us/graph/throttling
 */
import { GraphError, RetryHandlerOptions } from '@microsoft/microsoft-graph-client';
import { FIXTURE_DEVICES, INTUNE_THROTTLE_LIMITS, ManualClock } from '@resetpc/sandbox';
import { SlidingWindowThrottle } from '@resetpc/sandbox/throttle';
import type { GraphClient } from '../../src/graph/client';
import { startTestSandbox, type TestSandbox } from './harness';

async function status(promise: Promise<unknown>): Promise<{ status: number; retryAfter: string | null | undefined }> {
  try {
    await promise;
    return { status: 200, retryAfter: undefined };
  } catch (e) {
    if (!(e instanceof GraphError)) throw e;
    return { status: e.statusCode, retryAfter: e.headers?.get('Retry-After') };
  }
}

describe('sandbox throttling through the Graph client', () => {
  let t: TestSandbox;
  beforeAll(async () => {
    t = await startTestSandbox();
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(() => {
    t.sandbox.control.throttle.reset();
    t.sandbox.control.setThrottleLimits(INTUNE_THROTTLE_LIMITS);
  });

  /** Calls as the gateway sends them (graphRequest: never resent by the client), without its budget, to meet the limits. */
  const read = (client?: GraphClient) => t.request(`/deviceManagement/managedDevices/${FIXTURE_DEVICES.androidDedicated}`, client === undefined ? {} : { client }).get() as Promise<unknown>;
  const reset = () => t.request(`/deviceManagement/managedDevices/${FIXTURE_DEVICES.androidDedicated}/resetPasscode`, { version: 'beta' }).post(undefined) as Promise<unknown>;

  it('defaults to the documented limits: 200 writes and 2,000 requests per app, 400 and 4,000 per tenant, per 20 s', () => {
    expect(INTUNE_THROTTLE_LIMITS).toMatchObject({ windowMs: 20_000, appWrites: 200, appRequests: 2_000, tenantWrites: 400, tenantRequests: 4_000 });
  });

  it('admits 3 requests in a 1 s window of 3, answers the 4th with 429 and Retry-After, and admits again once the window slides', async () => {
    t.sandbox.control.setThrottleLimits({ windowMs: 1_000, appRequests: 3 });
    for (let i = 0; i < 3; i += 1) expect((await status(read())).status).toBe(200);
    expect(await status(read())).toEqual({ status: 429, retryAfter: '1' });
    t.clock.advance(999);
    expect((await status(read())).status).toBe(429);
    t.clock.advance(1);
    expect((await status(read())).status).toBe(200);
    expect(t.sandbox.control.calls.slice(-6).map((c) => c.outcome)).toEqual([200, 200, 200, 429, 429, 200]);
  });

  it('counts writes on their own budget: the third resetPasscode is refused while reads still pass', async () => {
    t.sandbox.control.setThrottleLimits({ appWrites: 2 });
    await reset();
    await reset();
    expect((await status(reset())).status).toBe(429);
    expect((await status(read())).status).toBe(200);
    expect(t.sandbox.control.resetPasscodeCount(FIXTURE_DEVICES.androidDedicated)).toBe(2);
  });

  it('applies the per-tenant budget across apps', async () => {
    t.sandbox.control.setThrottleLimits({ tenantRequests: 2 });
    const clientId = '00000000-0000-4000-8000-00000000b001';
    const app = t.sandbox.control.state.apps[0]!;
    t.sandbox.control.state.apps.push({ ...app, clientId, clientSecret: 'second-app-secret', roles: [...app.roles] });
    const other = t.graph({ credential: t.credentialWith({ clientId, clientSecret: 'second-app-secret' }) });
    expect((await status(read())).status).toBe(200);
    expect((await status(read(other))).status).toBe(200);
    expect((await status(read())).status).toBe(429);
  });

  it('gives device configuration reads their own, smaller budget', async () => {
    t.sandbox.control.setThrottleLimits({ appConfigReads: 1 });
    const list = () => status(t.graph().client.api('/deviceManagement/deviceConfigurations').middlewareOptions([new RetryHandlerOptions(0, 0)]).get());
    expect((await list()).status).toBe(200);
    expect((await list()).status).toBe(429);
    expect((await status(read())).status).toBe(200);
  });
});

describe('SlidingWindowThrottle', () => {
  it('is exact: a request leaves the window exactly windowMs after it was admitted, and Retry-After points there', () => {
    const clock = new ManualClock(0);
    const throttle = new SlidingWindowThrottle(clock, { ...INTUNE_THROTTLE_LIMITS, windowMs: 1_000, appRequests: 3 });
    const admit = () => throttle.admit('tenant', 'app', 'read');
    for (const at of [0, 400, 800]) {
      clock.set(at);
      expect(admit()).toEqual({ admitted: true });
    }
    clock.set(900);
    expect(admit()).toEqual({ admitted: false, retryAfterSeconds: 1, scope: 'app' });
    clock.set(1_000);
    expect(admit()).toEqual({ admitted: true });
    expect(admit()).toMatchObject({ admitted: false });
  });

  it('rounds Retry-After up to whole seconds', () => {
    const clock = new ManualClock(0);
    const throttle = new SlidingWindowThrottle(clock, { ...INTUNE_THROTTLE_LIMITS, windowMs: 20_000, appWrites: 1 });
    expect(throttle.admit('tenant', 'app', 'write')).toEqual({ admitted: true });
    clock.advance(2_500);
    expect(throttle.admit('tenant', 'app', 'write')).toEqual({ admitted: false, retryAfterSeconds: 18, scope: 'app' });
  });
});
