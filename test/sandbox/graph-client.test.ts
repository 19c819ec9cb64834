/**
 * The product's Graph client factory keeps certificate checks on: the sandbox CA is trusted only when given. Checked
 * through the production Intune gateway, which sends every call through that client.
 * Docs: learn.microsoft.com/graph/sdks/customize-client (baseUrl, customHosts), DOMAIN.md §3.
 */
import { GraphError } from '../../src/graph/errors';
import { createGraphClient } from '../../src/graph/client';
import { createGraphCredential } from '../../src/graph/credential';
import { FIXTURE_DEVICES } from '@resetpc/sandbox';
import { startTestSandbox, type TestSandbox } from './harness';

describe('Graph client factory against the sandbox', () => {
  let t: TestSandbox;
  beforeAll(async () => {
    t = await startTestSandbox();
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses a plain-http Graph base URL', () => {
    expect(() => createGraphClient({ credential: t.credential, baseUrl: 'http://127.0.0.1:1/' })).toThrow(/https/);
  });

  it('fails to reach the sandbox when its CA is not given: certificate checks stay on', async () => {
    const client = createGraphClient({ credential: t.credential, baseUrl: t.sandbox.urls.graphBaseUrl });
    try {
      const e = await t.intune({ client }).getDevice(FIXTURE_DEVICES.androidDedicated).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(GraphError);
      expect(e).toMatchObject({ code: 'graph_unavailable', kind: 'transient', message: expect.stringContaining('no answer from Graph') });
      expect((e as GraphError).status).toBeUndefined();
      expect(t.sandbox.control.calls).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('fails to get a token from the sandbox authority when its CA is not given', async () => {
    const credential = createGraphCredential({
      tenantId: t.sandbox.tenantId,
      clientId: t.sandbox.clientId,
      clientSecret: t.sandbox.clientSecret,
      authorityHost: t.sandbox.urls.authorityHost,
      disableInstanceDiscovery: true,
    });
    const before = t.sandbox.control.tokenRequests.length;
    await expect(credential.getToken('https://graph.microsoft.com/.default')).rejects.toThrow();
    expect(t.sandbox.control.tokenRequests).toHaveLength(before);
  });

  it('sends the token to the sandbox host because it is listed in customHosts', async () => {
    await expect(t.intune().getDevice(FIXTURE_DEVICES.androidDedicated)).resolves.toMatchObject({ id: FIXTURE_DEVICES.androidDedicated });
    expect(t.sandbox.control.calls.at(-1)).toMatchObject({ outcome: 200, appId: t.sandbox.clientId });
  });
});
