import { Agent, fetch } from 'undici';
import { FIXTURE_DEVICES, startSandbox, type Sandbox } from '../../src/sandbox';

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

  it('reads the calls it received', async () => {
    const { json } = await call('GET', '/_sandbox/graph/calls');
    expect(json).toEqual({ calls: expect.any(Array), tokenRequests: expect.any(Array), sentMail: expect.any(Array) });
    expect(Object.keys(FIXTURE_DEVICES).length).toBeGreaterThan(10);
  });
});
