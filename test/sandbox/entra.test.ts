/**
 * The simulated Entra ID, through the real @azure/identity ClientSecretCredential.
 * Docs: learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow (token request, error response)
 * and …/v2-protocols-oidc (OpenID configuration document).
 */
import { AuthenticationRequiredError } from '@azure/identity';
import { FIXTURE_DEVICES } from '@resetpc/sandbox';
import { rawGraphCall, rawRequest, startTestSandbox, type TestSandbox } from './harness';

const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

/** @azure/identity reports an Entra ID error answer (MSAL ServerError) as AuthenticationRequiredError with the AADSTS text. */
async function authError(promise: Promise<unknown>): Promise<AuthenticationRequiredError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof AuthenticationRequiredError) return e;
    throw e;
  }
  throw new Error('expected an AuthenticationRequiredError');
}

describe('sandbox Entra ID, through the real ClientSecretCredential', () => {
  let t: TestSandbox;
  beforeAll(async () => {
    t = await startTestSandbox();
  });
  afterAll(async () => {
    await t.close();
  });

  it('serves the OpenID configuration for the tenant (v2-protocols-oidc)', async () => {
    const { status, body } = await rawRequest(t.sandbox, 'GET', `/${t.sandbox.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      issuer: `${t.sandbox.urls.origin}/${t.sandbox.tenantId}/v2.0`,
      token_endpoint: t.sandbox.urls.tokenEndpoint,
      authorization_endpoint: expect.any(String),
      jwks_uri: expect.any(String),
    });
  });

  it('issues a Graph token for the client-credentials grant over HTTPS with only the sandbox CA added', async () => {
    const token = (await t.credential.getToken(GRAPH_SCOPE))!;
    expect(token.token).toMatch(/^sbx-at\./);
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3000 * 1000);
    expect(t.sandbox.control.tokenRequests.at(-1)).toMatchObject({ clientId: t.sandbox.clientId, grantType: 'client_credentials', scope: GRAPH_SCOPE, status: 200 });
  });

  it('never records the client secret', () => {
    expect(JSON.stringify(t.sandbox.control.tokenRequests)).not.toContain(t.sandbox.clientSecret);
  });

  it('refuses a wrong secret with 401 invalid_client, AADSTS7000215', async () => {
    const e = await authError(t.credentialWith({ clientSecret: 'not-the-secret' }).getToken(GRAPH_SCOPE));
    expect(e.message).toMatch(/invalid_client.*AADSTS7000215/s);
    expect(e.message).not.toContain(t.sandbox.clientSecret);
    expect(t.sandbox.control.tokenRequests.at(-1)).toMatchObject({ status: 401, error: 'invalid_client' });
  });

  it('refuses an unknown client id with 400 unauthorized_client, AADSTS700016', async () => {
    const e = await authError(t.credentialWith({ clientId: '00000000-0000-4000-8000-000000000bad' }).getToken(GRAPH_SCOPE));
    expect(e.message).toMatch(/unauthorized_client.*AADSTS700016/s);
    expect(t.sandbox.control.tokenRequests.at(-1)).toMatchObject({ status: 400, error: 'unauthorized_client' });
  });

  it('answers errors in the AAD OAuth shape with error_codes', async () => {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: t.sandbox.clientId, client_secret: t.sandbox.clientSecret, scope: 'https://graph.microsoft.com/User.Read' });
    const { status, body } = await rawRequest(t.sandbox, 'POST', `/${t.sandbox.tenantId}/oauth2/v2.0/token`, { body: form.toString(), contentType: 'application/x-www-form-urlencoded' });
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'invalid_scope', error_codes: [1002012], trace_id: expect.any(String), correlation_id: expect.any(String), timestamp: expect.any(String) });
  });

  it('refuses an unknown tenant with AADSTS90002', async () => {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: t.sandbox.clientId, client_secret: t.sandbox.clientSecret, scope: GRAPH_SCOPE });
    const { status, body } = await rawRequest(t.sandbox, 'POST', '/11111111-1111-4111-8111-111111111111/oauth2/v2.0/token', { body: form.toString(), contentType: 'application/x-www-form-urlencoded' });
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'invalid_request', error_codes: [90002] });
  });

  it('lets a token expire: Graph answers 401 InvalidAuthenticationToken once the sandbox clock passes its lifetime', async () => {
    const token = (await t.credential.getToken(GRAPH_SCOPE))!.token;
    const path = `/v1.0/deviceManagement/managedDevices/${FIXTURE_DEVICES.androidDedicated}`;
    expect((await rawGraphCall(t.sandbox, 'GET', path, `Bearer ${token}`)).status).toBe(200);
    t.clock.advance(t.sandbox.control.tokenLifetimeSeconds * 1000);
    const expired = await rawGraphCall(t.sandbox, 'GET', path, `Bearer ${token}`);
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({ error: { code: 'InvalidAuthenticationToken', message: expect.stringContaining('expired') } });
  });
});

describe('sandbox Entra ID with short-lived tokens', () => {
  let t: TestSandbox;
  beforeAll(async () => {
    t = await startTestSandbox({ tokenLifetimeSeconds: 60 });
  });
  afterAll(async () => {
    await t.close();
  });

  it('the credential fetches a new token when the one it holds is about to expire, and Graph calls keep working', async () => {
    // One client, calls sent as the gateway sends them (graphRequest), each getting its token from the credential.
    const client = t.graph();
    const read = () => t.request(`/deviceManagement/managedDevices/${FIXTURE_DEVICES.androidDedicated}`, { client }).get() as Promise<unknown>;
    await read();
    t.clock.advance(61_000);
    await read();
    const issued = t.sandbox.control.tokenRequests.filter((r) => r.status === 200);
    // MSAL renews tokens that expire within five minutes, so a 60 s token is fetched again for the second call.
    expect(issued).toHaveLength(2);
    expect(t.sandbox.control.calls.map((c) => c.outcome)).toEqual([200, 200]);
  });
});
