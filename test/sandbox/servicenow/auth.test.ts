/**
 * Authentication (docs: "Table API" with Basic auth; "OAuth client credentials grant type", POST /oauth_token.do).
 * Sources:
 * - https://www.servicenow.com/docs/r/api-reference/rest-api-explorer/c_RESTAPI.html ("REST API security"): REST APIs
 *   take Basic authentication or OAuth; invalid Basic credentials answer 401.
 * - https://www.servicenow.com/docs/r/api-reference/rest-api-explorer/r_RESTAPIHTTPResponseCodes.html : 401
 *   Unauthorized, "the user is not authorized to use the API".
 * - panoramicdata/ServiceNow.Api#16 (https://github.com/panoramicdata/ServiceNow.Api/issues/16): a real instance's 401
 *   body {"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"},"status":"failure"};
 *   vdesabou/kafka-docker-playground#8670 (https://github.com/vdesabou/kafka-docker-playground/issues/8670): the header
 *   WWW-Authenticate: Basic realm="Service-now" with that detail (message worded "User is not authenticated" there:
 *   uncertain, docs/sandbox.md).
 * - https://www.servicenow.com/docs/r/platform-security/authentication/client-credentials-grant-workflow.html : POST
 *   /oauth_token.do with grant_type=client_credentials, client_id and client_secret as a form; the access token then
 *   goes in the Authorization header of each API call.
 * - https://www.servicenow.com/docs/r/platform-security/authentication/configure-an-oauth-client-credential-grant.html :
 *   access token lifespan defaults to 1800 seconds.
 * - https://www.servicenow.com/docs/r/api-reference/rest-api-explorer/r_RESTOAuthExample.html : the token answer
 *   {"scope":"useraccount","token_type":"Bearer","expires_in":…,"access_token":…} (its password-grant sample also has
 *   a refresh_token, which the client credentials grant does not issue).
 * - https://www.servicenow.com/docs/r/platform-security/authentication/client-credentials.html : inbound client
 *   credentials must be enabled, and the token acts as the entity's OAuth Application User (the integration user).
 * - demisto/content-docs#1301 (https://github.com/demisto/content-docs/issues/1301): wrong OAuth client credentials
 *   answer 401 {"error_description":"access_denied","error":"server_error"}.
 * - https://rfcinfo.com/rfc-6750/3 (RFC 6750 §3.1, invalid_token): an expired or unknown access token is a 401; the
 *   client may get a new token and retry.
 */
import { SN_FIXTURE } from '@resetpc/sandbox/servicenow';
import { ServiceNowAuthError } from '../../../src/ticketing/servicenow';
import { startTestServiceNow, type TestServiceNow } from './harness';

let sn: TestServiceNow;

beforeAll(async () => {
  sn = await startTestServiceNow();
});

afterAll(async () => {
  await sn.close();
});

beforeEach(() => {
  sn.sim.control.clearRecords();
});

const sysId = SN_FIXTURE.incident.sys_id;

describe('Table API with Basic authentication', () => {
  it('reads a ticket with the integration user\'s user name and password', async () => {
    await expect(sn.basicClient().getTicket('incident', sysId)).resolves.toMatchObject({ number: 'INC0010001' });
    expect(sn.sim.control.calls[0]?.user).toBe('resetpc.integration');
  });

  it('refuses a wrong password with 401, raised as a permanent auth error that does not contain the password', async () => {
    const wrong = 'Wrong-Password-Canary-7731';
    const client = sn.basicClient({ auth: { kind: 'basic', username: 'resetpc.integration', password: wrong } });
    const error = await client.getTicket('incident', sysId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceNowAuthError);
    expect(error).toMatchObject({ code: 'unauthorized', kind: 'permanent', status: 401 });
    expect(`${JSON.stringify(error)} ${String(error)} ${(error as Error).stack ?? ''}`).not.toContain(wrong);
  });

  it('answers a call without credentials with 401 User Not Authenticated and WWW-Authenticate', async () => {
    const { status, headers, body } = await sn.raw('GET', `/api/now/table/incident/${sysId}`, { authorization: null });
    expect(status).toBe(401);
    expect(headers.get('www-authenticate')).toBe('Basic realm="Service-now"');
    expect(body).toEqual({ error: { message: 'User Not Authenticated', detail: 'Required to provide Auth information' }, status: 'failure' });
  });
});

describe('OAuth client credentials: POST /oauth_token.do', () => {
  it('issues an expiring bearer token in the OAuth shape', async () => {
    const { clientId, clientSecret } = sn.sim.credentials.oauth;
    const response = await fetch(`${sn.sim.url}/oauth_token.do`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString(),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ access_token: expect.any(String), scope: 'useraccount', token_type: 'Bearer', expires_in: 1800 });
  });

  it('gets one token for several calls and records the token request without the secret', async () => {
    const client = sn.oauthClient();
    await client.getTicket('incident', sysId);
    await client.addWorkNote('incident', sysId, 'via OAuth');
    expect(sn.sim.control.tokenRequests).toEqual([{ at: sn.clock.now(), clientId: sn.sim.credentials.oauth.clientId, grantType: 'client_credentials', status: 200 }]);
    expect(JSON.stringify(sn.sim.control.tokenRequests)).not.toContain(sn.sim.credentials.oauth.clientSecret);
    expect(sn.sim.control.journal(sysId, 'work_notes').at(-1)).toMatchObject({ value: 'via OAuth', created_by: 'resetpc.integration' });
  });

  it('gets a new token once when the instance refuses an expired one, so the call still succeeds', async () => {
    const client = sn.oauthClient();
    await client.getTicket('incident', sysId);
    sn.clock.advance(1801 * 1000);
    await expect(client.getTicket('incident', sysId)).resolves.toMatchObject({ sysId });
    expect(sn.sim.control.tokenRequests).toHaveLength(2);
    expect(sn.sim.control.calls.map((c) => c.status)).toEqual([200, 401, 200]);
  });

  it('refuses a wrong client secret with a permanent auth error naming no secret', async () => {
    const canary = 'Client-Secret-Canary-4410';
    const client = sn.oauthClient({ auth: { kind: 'oauth', clientId: sn.sim.credentials.oauth.clientId, clientSecret: canary } });
    const error = await client.getTicket('incident', sysId).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'unauthorized', permanent: true });
    expect(`${String(error)} ${(error as Error).stack ?? ''}`).not.toContain(canary);
    expect(sn.sim.control.calls).toHaveLength(0);
  });

  it('answers wrong client credentials at the token endpoint with 401 and the body real instances send', async () => {
    const response = await fetch(`${sn.sim.url}/oauth_token.do`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: sn.sim.credentials.oauth.clientId, client_secret: 'not-the-secret' }).toString(),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error_description: 'access_denied', error: 'server_error' });
  });

  it('refuses a bearer token the instance never issued with 401', async () => {
    const { status } = await sn.raw('GET', `/api/now/table/incident/${sysId}`, { authorization: 'Bearer not-a-real-token' });
    expect(status).toBe(401);
  });
});
