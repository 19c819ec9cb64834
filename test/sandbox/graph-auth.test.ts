/**
 * Authorization as Graph does it. Docs: learn.microsoft.com/graph/errors (401 InvalidAuthenticationToken, 403) and
 * learn.microsoft.com/graph/permissions-reference (the least-privileged permission of each call).
 */
import { GraphError } from '@microsoft/microsoft-graph-client';
import { GraphError as ProductGraphError } from '../../src/graph/errors';
import { FIXTURE_DEVICES, PRODUCT_ROLES } from '@resetpc/sandbox';
import { rawGraphCall, startTestSandbox, type TestSandbox } from './harness';

const DEVICE_PATH = `/v1.0/deviceManagement/managedDevices/${FIXTURE_DEVICES.androidDedicated}`;

async function graphError(promise: Promise<unknown>): Promise<GraphError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof GraphError) return e;
    throw e;
  }
  throw new Error('expected a GraphError');
}

describe('sandbox Graph authorization', () => {
  let t: TestSandbox;
  beforeAll(async () => {
    t = await startTestSandbox();
  });
  afterAll(async () => {
    await t.close();
  });

  const limitedApp = (clientId: string, roles: readonly string[]) => {
    const clientSecret = `secret-of-${clientId}`;
    t.sandbox.control.state.apps.push({ clientId, clientSecret, displayName: 'limited', roles: [...roles] });
    return t.graph({ credential: t.credentialWith({ clientId, clientSecret }) });
  };
  /** The error the production gateway (its budget, its mapping) makes of a refusal. */
  const productError = async (promise: Promise<unknown>): Promise<ProductGraphError> => {
    const e = await promise.then(() => undefined, (err: unknown) => err);
    if (e instanceof ProductGraphError) return e;
    throw new Error(`expected the product's GraphError, got ${String(e)}`);
  };

  it('answers a request without a token with 401 InvalidAuthenticationToken in Graph error shape', async () => {
    const { status, body, headers } = await rawGraphCall(t.sandbox, 'GET', DEVICE_PATH, undefined);
    expect(status).toBe(401);
    expect(body).toEqual({
      error: { code: 'InvalidAuthenticationToken', message: 'Access token is empty.', innerError: { date: expect.any(String), 'request-id': expect.any(String) } },
    });
    expect(headers.get('request-id')).toBe((body as { error: { innerError: Record<string, string> } }).error.innerError['request-id']);
  });

  it('answers an unknown token with 401', async () => {
    expect((await rawGraphCall(t.sandbox, 'GET', DEVICE_PATH, 'Bearer sbx-at.forged')).status).toBe(401);
  });

  it('answers an expired token with 401 InvalidAuthenticationToken', async () => {
    const token = t.sandbox.control.issueToken({ lifetimeSeconds: 10 });
    t.clock.advance(10_000);
    const { status, body } = await rawGraphCall(t.sandbox, 'GET', DEVICE_PATH, `Bearer ${token}`);
    expect(status).toBe(401);
    expect(body).toMatchObject({ error: { code: 'InvalidAuthenticationToken' } });
  });

  it('answers a token for another audience (obtained by the real credential) with 401 "Invalid audience"', async () => {
    const token = (await t.credential.getToken('https://management.azure.com/.default'))!;
    const { status, body } = await rawGraphCall(t.sandbox, 'GET', DEVICE_PATH, `Bearer ${token.token}`);
    expect(status).toBe(401);
    expect(body).toMatchObject({ error: { code: 'InvalidAuthenticationToken', message: expect.stringContaining('Invalid audience') } });
  });

  it('accepts a token whose audience is the sandbox Graph origin itself', async () => {
    const token = (await t.credential.getToken(`${t.sandbox.urls.origin}/.default`))!;
    expect((await rawGraphCall(t.sandbox, 'GET', DEVICE_PATH, `Bearer ${token.token}`)).status).toBe(200);
  });

  it('answers 403 Forbidden, naming the permissions and nothing secret, when the app lacks DeviceManagementManagedDevices.Read.All', async () => {
    const client = limitedApp('00000000-0000-4000-8000-00000000a001', PRODUCT_ROLES.filter((r) => r !== 'DeviceManagementManagedDevices.Read.All'));
    // Graph's own answer names the permissions...
    const raw = await graphError(t.request(`/deviceManagement/managedDevices/${FIXTURE_DEVICES.androidDedicated}`, { client }).get());
    expect(raw.statusCode).toBe(403);
    expect(raw.code).toBe('Forbidden');
    expect(raw.message).toContain('DeviceManagementManagedDevices.Read.All');
    expect(raw.message).not.toMatch(/sbx-at\.|secret/i);
    // ...and the gateway reports it as a permanent graph_forbidden, naming the permission to grant.
    const e = await productError(t.intune({ client }).getDevice(FIXTURE_DEVICES.androidDedicated));
    expect(e).toMatchObject({ code: 'graph_forbidden', kind: 'permanent', status: 403, graphCode: 'Forbidden', missingPermission: 'DeviceManagementManagedDevices.Read.All' });
    expect(e.message).not.toMatch(/sbx-at\.|secret/i);
  });

  it('answers 403 to resetPasscode without DeviceManagementManagedDevices.PrivilegedOperations.All, and takes no action', async () => {
    const client = limitedApp('00000000-0000-4000-8000-00000000a002', ['DeviceManagementManagedDevices.ReadWrite.All']);
    const e = await productError(t.intune({ client }).resetPasscode(FIXTURE_DEVICES.androidFullyManaged));
    expect(e).toMatchObject({ code: 'graph_forbidden', status: 403, missingPermission: 'DeviceManagementManagedDevices.PrivilegedOperations.All' });
    expect(t.sandbox.control.resetPasscodeCount(FIXTURE_DEVICES.androidFullyManaged)).toBe(0);
  });

  it('answers 403 Authorization_RequestDenied to a service principal read without Application.Read.All', async () => {
    const client = limitedApp('00000000-0000-4000-8000-00000000a003', ['DeviceManagementManagedDevices.Read.All']);
    const e = await graphError(client.client.api("/servicePrincipals(appId='b8456c59-1230-44c7-a4a2-99b085333e84')").get());
    expect(e.statusCode).toBe(403);
    expect(e.code).toBe('Authorization_RequestDenied');
  });

  it('never records tokens or authorization headers in the call log', () => {
    expect(JSON.stringify(t.sandbox.control.calls)).not.toMatch(/sbx-at\.|Bearer/);
  });
});
