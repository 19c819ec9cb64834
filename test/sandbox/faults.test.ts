/**
 * Injected faults, as the product's Graph client sees them. Docs: learn.microsoft.com/graph/errors (429, 500, 503,
 * 504) and learn.microsoft.com/graph/api/intune-devices-manageddevice-resetpasscode (not idempotent: the case of a
 * response lost after the reset took effect).
 */
import { GraphError } from '@microsoft/microsoft-graph-client';
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

describe('sandbox faults', () => {
  let t: TestSandbox;
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
    const e = await failure(t.gateway().getDevice(DEVICE));
    expect(e.statusCode).toBe(code);
    expect(e.code).toBe(name);
    expect(e.headers?.get('Retry-After') ?? null).toBe(retryAfter);
    await expect(t.gateway().getDevice(DEVICE)).resolves.toMatchObject({ id: DEVICE });
  });

  it('adds latency to a matching route only', async () => {
    t.sandbox.control.injectFault({ method: 'GET', path: '/v1.0/deviceManagement/managedDevices/*', fault: { kind: 'latency', ms: 150 } });
    const started = performance.now();
    await t.gateway().getDevice(DEVICE);
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
  });

  it('resets the connection before the request takes effect: network error, no action, count 0', async () => {
    t.sandbox.control.injectFault({ method: 'POST', path: RESET_PATTERN, sequence: [{ kind: 'reset' }] });
    const e = await failure(t.gateway().resetPasscode(DEVICE));
    expect(e.statusCode).toBe(-1);
    expect(t.sandbox.control.resetPasscodeCount(DEVICE)).toBe(0);
    expect(t.sandbox.control.deviceActions(DEVICE)).toEqual([]);
    expect(t.sandbox.control.calls.map((c) => c.outcome)).toEqual(['reset']);
  });

  it('loses the response after the reset took effect: the client sees a network error, yet the POST count is 1 and the action exists', async () => {
    t.sandbox.control.injectFault({ method: 'POST', path: RESET_PATTERN, sequence: [{ kind: 'lostResponse' }] });
    const e = await failure(t.gateway().resetPasscode(DEVICE));
    expect(e.statusCode).toBe(-1);
    expect(t.sandbox.control.resetPasscodeCount(DEVICE)).toBe(1);
    expect(t.sandbox.control.calls.map((c) => [c.method, c.outcome])).toEqual([['POST', 'lostResponse']]);
    const device = await t.gateway().getDevice(DEVICE, ['deviceActionResults']);
    expect(device.deviceActionResults).toEqual([expect.objectContaining({ actionName: 'resetPasscode', actionState: 'pending' })]);
  });

  it('never retries resetPasscode, even on a retryable 503, while reads are retried', async () => {
    const gateway = t.gateway({ readRetry: { maxRetries: 2, delaySeconds: 0 } });
    t.sandbox.control.injectFault({ path: '/v1.0/deviceManagement/managedDevices/**', sequence: [{ kind: 'status', status: 503, retryAfterSeconds: 0 }, null, { kind: 'status', status: 503, retryAfterSeconds: 0 }] });
    await expect(gateway.getDevice(DEVICE)).resolves.toMatchObject({ id: DEVICE });
    expect((await failure(gateway.resetPasscode(DEVICE))).statusCode).toBe(503);
    expect(t.sandbox.control.calls.map((c) => `${c.method} ${String(c.outcome)}`)).toEqual(['GET 503', 'GET 200', 'POST 503']);
    expect(t.sandbox.control.resetPasscodeCount(DEVICE)).toBe(0);
  });

  it('injects a fault with a probability, using the sandbox random source', async () => {
    t.sandbox.control.injectFault({ method: 'GET', path: DEVICE_PATH, fault: { kind: 'status', status: 500 }, probability: 0.2 });
    await expect(t.gateway().getDevice(DEVICE)).resolves.toMatchObject({ id: DEVICE });
    t.sandbox.control.injectFault({ method: 'GET', path: DEVICE_PATH, fault: { kind: 'status', status: 500 }, probability: 0.3 });
    expect((await failure(t.gateway().getDevice(DEVICE))).statusCode).toBe(500);
  });

  it('leaves other methods and routes alone', async () => {
    t.sandbox.control.injectFault({ method: 'POST', path: RESET_PATTERN, fault: { kind: 'status', status: 500 } });
    await expect(t.gateway().getDevice(DEVICE)).resolves.toMatchObject({ id: DEVICE });
    await expect(t.gateway().findDevices('deviceName', 'AE-FM-0100')).resolves.toHaveLength(1);
  });
});
