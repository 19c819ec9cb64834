/**
 * Injected faults, as the product sees them: on the wire through its Graph client and request function (graphRequest),
 * and through the Intune gateway for the reset POST. Docs: learn.microsoft.com/graph/errors (429, 500, 503,
 * 504) and learn.microsoft.com/graph/api/intune-devices-manageddevice-resetpasscode (not idempotent: the case of a
 * response lost after the reset took effect).
 * Pages: https://learn.microsoft.com/en-us/graph/errors and
 * https://learn.microsoft.com/en-us/graph/api/intune-devices-manageddevice-resetpasscode?view=graph-rest-beta
 */
import { GraphError } from '@microsoft/microsoft-graph-client';
import { GraphError as ProductGraphError } from '../../src/graph/errors';
import { FIXTURE_DEVICES } from '@resetpc/sandbox';
import { startTestSandbox, type TestSandbox } from './harness';

const DEVICE = FIXTURE_DEVICES.androidFullyManaged;
const DEVICE_PATH = `/v1.0/deviceManagement/managedDevices/${DEVICE}`;
const RESET_PATTERN = '/*/deviceManagement/managedDevices/*/resetPasscode';

async function failure(promise: Promise<unknown>): Promise<GraphError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof GraphError) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}

/** What the gateway's budgeted call made of a failure: the product's GraphError. */
async function productFailure(promise: Promise<unknown>): Promise<ProductGraphError> {
  const e = await promise.then(() => undefined, (err: unknown) => err);
  if (e instanceof ProductGraphError) return e;
  throw new Error(`expected the product's GraphError, got ${String(e)}`);
}

describe('sandbox faults', () => {
  let t: TestSandbox;
  /** A v1.0 device read as the gateway sends it (graphRequest), with Graph's own answer. */
  const read = () => t.request(`/deviceManagement/managedDevices/${DEVICE}`).get() as Promise<unknown>;
  beforeAll(async () => {
    t = await startTestSandbox({ random: () => 0.25 });
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(() => {
    t.sandbox.control.faults.clear();
    t.sandbox.control.clearRecords();
  });

  it.each([
    [429, 'TooManyRequests', '7'],
    [500, 'InternalServerError', null],
    [503, 'ServiceUnavailable', '7'],
    [504, 'GatewayTimeout', null],
  ] as const)('injects %i (%s) in Graph error shape', async (code, name, retryAfter) => {
    t.sandbox.control.injectFault({ method: 'GET', path: DEVICE_PATH, sequence: [{ kind: 'status', status: code, retryAfterSeconds: 7 }] });
    const e = await failure(read());
    expect(e.statusCode).toBe(code);
    expect(e.code).toBe(name);
    expect(e.headers?.get('Retry-After') ?? null).toBe(retryAfter);
    await expect(read()).resolves.toMatchObject({ id: DEVICE });
  });

  // Graph answers some calls with a redirect to a pre-authenticated URL on another host
  // (https://learn.microsoft.com/en-us/graph/api/driveitem-get-content; report downloads redirect to
  // reportsweu.office.com, https://github.com/microsoftgraph/msgraph-sdk-powershell/issues/155). The client's
  // RedirectHandler follows a redirect and drops the token when the host changes; the product's sender (src/graph/
  // sender.ts) must give it what fetch gave: the redirect itself, and the URL it answered.
  it('follows a redirect on the same host with the token', async () => {
    const target = `${t.sandbox.urls.graphBaseUrl.replace(/\/$/, '')}/v1.0/deviceManagement/managedDevices/${FIXTURE_DEVICES.androidDedicated}`;
    t.sandbox.control.injectFault({ method: 'GET', path: DEVICE_PATH, sequence: [{ kind: 'redirect', status: 302, location: target }] });
    await expect(read()).resolves.toMatchObject({ id: FIXTURE_DEVICES.androidDedicated });
    expect(t.sandbox.control.calls.map((c) => [c.outcome, c.appId !== undefined])).toEqual([[302, false], [200, true]]);
  });

  it('follows a redirect to another host without the token: that host sees no token (401), and the call fails', async () => {
    // The same sandbox under another name (its certificate names localhost and 127.0.0.1): a token sent along would be
    // accepted there.
    const other = new URL(t.sandbox.urls.graphBaseUrl);
    expect(other.hostname).toBe('127.0.0.1');
    other.hostname = 'localhost';
    const target = `${other.origin}/v1.0/deviceManagement/managedDevices/${DEVICE}`;
    t.sandbox.control.injectFault({ method: 'GET', path: DEVICE_PATH, sequence: [{ kind: 'redirect', status: 307, location: target }] });
    const e = await failure(read());
    expect(e.statusCode).toBe(401);
    expect(e.code).toBe('InvalidAuthenticationToken');
    expect(t.sandbox.control.calls.map((c) => [c.outcome, c.appId !== undefined])).toEqual([[307, false], [401, false]]);
  });

  it('adds latency to a matching route only', async () => {
    t.sandbox.control.injectFault({ method: 'GET', path: '/v1.0/deviceManagement/managedDevices/*', fault: { kind: 'latency', ms: 150 } });
    const started = performance.now();
    await read();
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
  });

  it('resets the connection before the request takes effect: network error, no action, count 0', async () => {
    t.sandbox.control.injectFault({ method: 'POST', path: RESET_PATTERN, sequence: [{ kind: 'reset' }] });
    const e = await productFailure(t.intune().resetPasscode(DEVICE));
    expect(e).toMatchObject({ code: 'graph_unavailable', kind: 'transient' });
    expect(e.status).toBeUndefined();
    expect(t.sandbox.control.resetPasscodeCount(DEVICE)).toBe(0);
    expect(t.sandbox.control.deviceActions(DEVICE)).toEqual([]);
    expect(t.sandbox.control.calls.map((c) => c.outcome)).toEqual(['reset']);
  });

  it('loses the response after the reset took effect: the client sees a network error, yet the POST count is 1 and the action exists', async () => {
    t.sandbox.control.injectFault({ method: 'POST', path: RESET_PATTERN, sequence: [{ kind: 'lostResponse' }] });
    const e = await productFailure(t.intune().resetPasscode(DEVICE));
    expect(e).toMatchObject({ code: 'graph_unavailable', kind: 'transient' });
    expect(e.status).toBeUndefined();
    expect(t.sandbox.control.resetPasscodeCount(DEVICE)).toBe(1);
    expect(t.sandbox.control.calls.map((c) => [c.method, c.outcome])).toEqual([['POST', 'lostResponse']]);
    expect(await t.intune().resetActionResults(DEVICE)).toEqual([expect.objectContaining({ actionName: 'resetPasscode', actionState: 'pending' })]);
  });

  it('never resends a call, a read or resetPasscode, even on a retryable 503: the caller re-schedules instead', async () => {
    const gateway = t.intune();
    t.sandbox.control.injectFault({ path: '/*/deviceManagement/managedDevices/**', sequence: [{ kind: 'status', status: 503, retryAfterSeconds: 0 }, { kind: 'status', status: 503, retryAfterSeconds: 0 }] });
    expect(await productFailure(gateway.getDevice(DEVICE))).toMatchObject({ code: 'graph_unavailable', kind: 'transient', status: 503 });
    expect(await productFailure(gateway.resetPasscode(DEVICE))).toMatchObject({ code: 'graph_unavailable', kind: 'transient', status: 503 });
    expect(t.sandbox.control.calls.map((c) => `${c.method} ${String(c.outcome)}`)).toEqual(['GET 503', 'POST 503']);
    expect(t.sandbox.control.resetPasscodeCount(DEVICE)).toBe(0);
  });

  it('injects a fault with a probability, using the sandbox random source', async () => {
    t.sandbox.control.injectFault({ method: 'GET', path: DEVICE_PATH, fault: { kind: 'status', status: 500 }, probability: 0.2 });
    await expect(read()).resolves.toMatchObject({ id: DEVICE });
    t.sandbox.control.injectFault({ method: 'GET', path: DEVICE_PATH, fault: { kind: 'status', status: 500 }, probability: 0.3 });
    expect((await failure(read())).statusCode).toBe(500);
  });

  it('leaves other methods and routes alone', async () => {
    t.sandbox.control.injectFault({ method: 'POST', path: RESET_PATTERN, fault: { kind: 'status', status: 500 } });
    await expect(read()).resolves.toMatchObject({ id: DEVICE });
    expect((await t.intune().findDevices('deviceName', 'AE-FM-0100')).exact).toHaveLength(1);
  });
});
