/**
 * The sandbox's HTTP control API (docs/sandbox.md). The faults it injects follow Graph's documented errors and
 * throttling: https://learn.microsoft.com/en-us/graph/errors and https://learn.microsoft.com/en-us/graph/throttling
 */
import { Agent, fetch } from 'undici';
import { FIXTURE_DEVICES, INTUNE_THROTTLE_LIMITS, startSandbox, type Sandbox } from '@resetpc/sandbox';

/** The sandbox's HTTP control API (docs/sandbox.md), driven over HTTPS as curl would. */
describe('sandbox control API', () => {
  let sandbox: Sandbox;
  let agent: Agent;

  beforeAll(async () => {
    sandbox = await startSandbox();
    agent = new Agent({ connect: { ca: sandbox.caPem } });
  });

  afterAll(async () => {
    await agent.close();
    await sandbox.close();
  });

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const res = await fetch(`${sandbox.urls.origin}${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      dispatcher: agent,
    });
    const text = await res.text();
    return { status: res.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
  }

  it('summarises the simulated tenant without its secret', async () => {
    const { status, json } = await call('GET', '/_sandbox');
    expect(status).toBe(200);
    expect(json).toMatchObject({ simulated: true, tenantId: sandbox.tenantId, clientId: sandbox.clientId });
    expect(JSON.stringify(json)).not.toContain(sandbox.clientSecret);
  });

  it('adds a device, scripts its reset outcome, and shows it', async () => {
    const id = 'c0ffee00-0000-4000-8000-000000000042';
    const device = { id, deviceName: 'PIXEL-42', operatingSystem: 'Android', osVersion: '14', managementState: 'managed' };
    expect((await call('PUT', `/_sandbox/devices/${id}`, { device })).status).toBe(204);
    expect((await call('PUT', `/_sandbox/devices/${id}/reset-script`, { outcome: 'failed', activeAfterMs: 0, finalAfterMs: 10, errorCode: 5 })).status).toBe(204);
    const list = (await call('GET', '/_sandbox/devices')).json as { device: { id: string }; resetScript?: { outcome: string }; resetPasscodeCount: number }[];
    expect(list.find((d) => d.device.id === id)).toMatchObject({ resetScript: { outcome: 'failed' }, resetPasscodeCount: 0 });
    expect(await call('GET', `/_sandbox/devices/${id}/actions`)).toEqual({ status: 200, json: { resetPasscodeCount: 0, actions: [] } });
    expect((await call('DELETE', `/_sandbox/devices/${id}`)).status).toBe(204);
  });

  it('makes the simulated Intune ignore device filters (as it ignores filters it cannot apply), and reads the rules back', async () => {
    expect(await call('GET', '/_sandbox/device-filters')).toEqual({ status: 200, json: { ignored: [], contains: ['userPrincipalName'] } });
    expect((await call('PUT', '/_sandbox/device-filters', { ignored: ['serialNumber', 'deviceName'] })).status).toBe(204);
    expect(sandbox.control.deviceFilterRules).toEqual({ ignored: ['serialNumber', 'deviceName'], contains: ['userPrincipalName'] });
    const refused = await call('PUT', '/_sandbox/device-filters', { ignored: ["serialNumber eq 'x'"], other: true });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.json)).toContain('ignored.0');
    expect((await call('PUT', '/_sandbox/device-filters', {})).status).toBe(204);
    expect(sandbox.control.deviceFilterRules).toEqual({ ignored: [], contains: ['userPrincipalName'] });
  });

  it('refuses an invalid seed with the fields named', async () => {
    const { status, json } = await call('PUT', '/_sandbox/devices/nope', { device: { id: 'nope' } });
    expect(status).toBe(400);
    expect(JSON.stringify(json)).toContain('device.id');
  });

  it('injects and clears faults, and sets throttle limits', async () => {
    const { status, json } = await call('POST', '/_sandbox/faults', { method: 'POST', path: '/v1.0/deviceManagement/managedDevices/*/resetPasscode', sequence: [{ kind: 'lostResponse' }, null] });
    expect(status).toBe(201);
    expect(json).toEqual({ id: expect.any(Number) });
    expect((await call('POST', '/_sandbox/faults', { path: '/x' })).status).toBe(400);
    expect((await call('DELETE', '/_sandbox/faults')).status).toBe(204);
    expect((await call('PUT', '/_sandbox/throttle', { windowMs: 1000, appWrites: 3 })).status).toBe(204);
    expect((await call('PUT', '/_sandbox/throttle', { windowMs: -1 })).status).toBe(400);
  });

  it('refuses a reset script that ends before it goes active, over HTTP and in-process', async () => {
    const id = 'c0ffee00-0000-4000-8000-000000000043';
    const device = { id, deviceName: 'PIXEL-43', operatingSystem: 'Android' };
    const backwards = { outcome: 'done', activeAfterMs: 5000, finalAfterMs: 1000 };
    const seeded = await call('PUT', `/_sandbox/devices/${id}`, { device, resetScript: backwards });
    expect(seeded.status).toBe(400);
    expect(JSON.stringify(seeded.json)).toContain('resetScript.finalAfterMs');
    expect(sandbox.control.device(id)).toBeUndefined();
    expect((await call('PUT', `/_sandbox/devices/${id}`, { device })).status).toBe(204);
    const scripted = await call('PUT', `/_sandbox/devices/${id}/reset-script`, backwards);
    expect(scripted).toEqual({ status: 400, json: { error: { code: 'validation_failed', message: 'invalid control request', details: [{ field: 'finalAfterMs', message: expect.stringContaining('activeAfterMs') }] } } });
    expect(sandbox.control.device(id)?.resetScript).toBeUndefined();
    expect(() => { sandbox.control.scriptAction(id, { outcome: 'done', activeAfterMs: 5000, finalAfterMs: 1000 }); }).toThrow(RangeError);
    expect(() => { sandbox.control.upsertDevice({ device: { ...device, id }, resetScript: { outcome: 'done', activeAfterMs: -1, finalAfterMs: 1000 } }); }).toThrow(/activeAfterMs/);
    expect((await call('PUT', `/_sandbox/devices/${id}/reset-script`, { outcome: 'done', activeAfterMs: 1000, finalAfterMs: 1000 })).status).toBe(204);
    expect(await call('PUT', '/_sandbox/devices/c0ffee00-0000-4000-8000-0000000000ff/reset-script', { outcome: 'done', activeAfterMs: 0, finalAfterMs: 0 })).toEqual({
      status: 404,
      json: { error: { code: 'not_found', message: 'no device c0ffee00-0000-4000-8000-0000000000ff' } },
    });
    expect((await call('DELETE', `/_sandbox/devices/${id}`)).status).toBe(204);
  });

  it('removes one fault rule by id, and answers 404 for an id that is not a rule', async () => {
    const added = await call('POST', '/_sandbox/faults', { path: '/v1.0/**', fault: { kind: 'latency', ms: 1 }, probability: 0 });
    const { id } = added.json as { id: number };
    expect(sandbox.control.faults.has(id)).toBe(true);
    expect((await call('DELETE', `/_sandbox/faults/${String(id)}`)).status).toBe(204);
    expect(sandbox.control.faults.has(id)).toBe(false);
    expect(await call('DELETE', `/_sandbox/faults/${String(id)}`)).toEqual({ status: 404, json: { error: { code: 'not_found', message: `no Graph fault rule ${String(id)}` } } });
    expect((await call('DELETE', '/_sandbox/faults/999999')).status).toBe(404);
    expect((await call('DELETE', '/_sandbox/faults/abc')).status).toBe(400);
    const cleared = (await call('POST', '/_sandbox/faults', { path: '/**', sequence: [null] })).json as { id: number };
    expect((await call('DELETE', '/_sandbox/faults')).status).toBe(204);
    expect((await call('DELETE', `/_sandbox/faults/${String(cleared.id)}`)).status).toBe(404);
  });

  it('reads the throttle limits it was given', async () => {
    expect((await call('PUT', '/_sandbox/throttle', { windowMs: 20_000, appWrites: 200, appRequests: 2000, tenantWrites: 400, tenantRequests: 4000, appConfigReads: 1000, tenantConfigReads: 2000 })).status).toBe(204);
    expect(await call('GET', '/_sandbox/throttle')).toEqual({ status: 200, json: INTUNE_THROTTLE_LIMITS });
    expect((await call('PUT', '/_sandbox/throttle', { windowMs: 5000, tenantRequests: 7 })).status).toBe(204);
    expect((await call('GET', '/_sandbox/throttle')).json).toEqual({ ...INTUNE_THROTTLE_LIMITS, windowMs: 5000, tenantRequests: 7 });
  });

  it('reads the calls it received', async () => {
    const { json } = await call('GET', '/_sandbox/graph/calls');
    expect(json).toEqual({ calls: expect.any(Array), tokenRequests: expect.any(Array), sentMail: expect.any(Array) });
    expect(Object.keys(FIXTURE_DEVICES).length).toBeGreaterThan(10);
  });
});
