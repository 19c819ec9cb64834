/**
 * The product's Graph client factory keeps certificate checks on: the sandbox CA is trusted only when given.
 * Docs: learn.microsoft.com/graph/sdks/customize-client (baseUrl, customHosts), DOMAIN.md §3.
 */
import { GraphError } from '@microsoft/microsoft-graph-client';
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
    const gateway = createGraphClient({ credential: t.credential, baseUrl: t.sandbox.urls.graphBaseUrl, readRetry: { maxRetries: 0, delaySeconds: 0 } });
    try {
      const e = (await gateway.getDevice(FIXTURE_DEVICES.androidDedicated).catch((err: unknown) => err)) as GraphError;
      expect(e).toBeInstanceOf(GraphError);
      expect(e.statusCode).toBe(-1);
      expect(t.sandbox.control.calls).toEqual([]);
    } finally {
      await gateway.close();
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
    await t.gateway().getDevice(FIXTURE_DEVICES.androidDedicated);
    expect(t.sandbox.control.calls.at(-1)).toMatchObject({ outcome: 200, appId: t.sandbox.clientId });
  });
});
