/**
 * resetPasscode (through the production Intune gateway) and its action result, as the simulator serves it. Docs: learn.microsoft.com/graph/api/intune-devices-manageddevice-resetpasscode
 * (POST, 204 No Content), …/resources/intune-devices-deviceactionresult (actionState),
 * …/resources/intune-devices-resetpasscodeactionresult (passcode, errorCode: documented on v1.0 as on beta, and in the
 * v1.0 typings, @microsoft/microsoft-graph-types ResetPasscodeActionResult).
 * Pages: https://learn.microsoft.com/en-us/graph/api/intune-devices-manageddevice-resetpasscode?view=graph-rest-beta and
 *   https://learn.microsoft.com/en-us/graph/api/resources/intune-devices-resetpasscodeactionresult
 */
import type { DeviceActionResult } from '@microsoft/microsoft-graph-types';
import { FIXTURE_DEVICES, SANDBOX_CANARY_PASSCODE_PREFIX } from '@resetpc/sandbox';
import { startTestSandbox, type TestSandbox } from './harness';

type ServedResult = DeviceActionResult & { passcode?: string | null; errorCode?: number; '@odata.type'?: string };

describe('sandbox resetPasscode', () => {
  let t: TestSandbox;
  beforeAll(async () => {
    t = await startTestSandbox();
  });
  afterAll(async () => {
    await t.close();
  });

  const results = async (id: string, version: 'v1.0' | 'beta' = 'v1.0'): Promise<ServedResult[]> => {
    const device = (await t.request(`/deviceManagement/managedDevices/${id}`, { version }).select(['deviceActionResults']).get()) as { deviceActionResults?: ServedResult[] };
    return device.deviceActionResults ?? [];
  };

  it('accepts the POST with 204 and no body, and counts it for the device', async () => {
    await expect(t.intune().resetPasscode(FIXTURE_DEVICES.androidDedicated)).resolves.toBeUndefined();
    expect(t.sandbox.control.calls.at(-1)).toMatchObject({ method: 'POST', path: `/beta/deviceManagement/managedDevices/${FIXTURE_DEVICES.androidDedicated}/resetPasscode`, outcome: 204 });
    expect(t.sandbox.control.resetPasscodeCount(FIXTURE_DEVICES.androidDedicated)).toBe(1);
  });

  it('moves the action result pending → active → done on the device timeline as the clock moves', async () => {
    const id = FIXTURE_DEVICES.androidFullyManaged;
    t.sandbox.control.scriptAction(id, { outcome: 'done', activeAfterMs: 5_000, finalAfterMs: 60_000 });
    const postedAt = t.clock.now();
    await t.intune().resetPasscode(id);
    expect(await results(id)).toEqual([
      {
        '@odata.type': '#microsoft.graph.resetPasscodeActionResult',
        actionName: 'resetPasscode',
        actionState: 'pending',
        startDateTime: new Date(postedAt).toISOString(),
        lastUpdatedDateTime: new Date(postedAt).toISOString(),
        passcode: null,
        errorCode: 0,
      },
    ]);
    t.clock.advance(5_000);
    expect((await results(id))[0]).toMatchObject({ actionState: 'active', lastUpdatedDateTime: new Date(postedAt + 5_000).toISOString() });
    t.clock.advance(55_000);
    expect((await results(id))[0]).toMatchObject({ actionState: 'done', lastUpdatedDateTime: new Date(postedAt + 60_000).toISOString() });
  });

  it('serves the passcode on v1.0 as on beta, only once done, and it is the canary', async () => {
    const id = FIXTURE_DEVICES.androidCorporateWorkProfile;
    t.sandbox.control.scriptAction(id, { outcome: 'done', activeAfterMs: 0, finalAfterMs: 1_000 });
    await t.intune().resetPasscode(id);
    expect((await results(id, 'beta'))[0]).toMatchObject({ '@odata.type': '#microsoft.graph.resetPasscodeActionResult', actionState: 'active', passcode: null });
    t.clock.advance(1_000);
    const beta = (await results(id, 'beta'))[0];
    expect(beta?.passcode?.startsWith(SANDBOX_CANARY_PASSCODE_PREFIX)).toBe(true);
    const v1 = (await results(id, 'v1.0'))[0];
    expect(v1).toMatchObject({ '@odata.type': '#microsoft.graph.resetPasscodeActionResult', actionState: 'done', errorCode: 0 });
    expect(v1?.passcode).toBe(beta?.passcode);
  });

  it('ends in failed with an error code, or in notSupported, as the device fixture scripts it', async () => {
    await t.intune().resetPasscode(FIXTURE_DEVICES.androidNoPasscodePolicy);
    await t.intune().resetPasscode(FIXTURE_DEVICES.windowsDesktop);
    t.clock.advance(60_000);
    expect((await results(FIXTURE_DEVICES.androidNoPasscodePolicy, 'beta'))[0]).toMatchObject({ actionState: 'failed', errorCode: expect.any(Number), passcode: null });
    expect((await results(FIXTURE_DEVICES.androidNoPasscodePolicy, 'v1.0'))[0]).toMatchObject({ actionState: 'failed', errorCode: expect.any(Number), passcode: null });
    expect((await results(FIXTURE_DEVICES.windowsDesktop))[0]).toMatchObject({ actionState: 'notSupported' });
  });

  it('keeps one resetPasscode result per device: a second POST replaces it and is counted', async () => {
    const id = FIXTURE_DEVICES.androidAosp;
    await t.intune().resetPasscode(id);
    t.clock.advance(1_000);
    await t.intune().resetPasscode(id);
    expect(t.sandbox.control.resetPasscodeCount(id)).toBe(2);
    const served = await results(id);
    expect(served).toHaveLength(1);
    expect(served[0]?.startDateTime).toBe(new Date(t.clock.now()).toISOString());
  });

  it('answers a resetPasscode for an unknown device with 404 and counts nothing', async () => {
    const id = '00000000-0000-4000-8000-00000000dead';
    await expect(t.intune().resetPasscode(id)).rejects.toMatchObject({ code: 'graph_not_found', status: 404, graphCode: 'ResourceNotFound' });
    expect(t.sandbox.control.resetPasscodeCount(id)).toBe(0);
  });

  it('never puts the passcode in the call log', () => {
    expect(JSON.stringify(t.sandbox.control.calls)).not.toContain(SANDBOX_CANARY_PASSCODE_PREFIX);
  });
});
