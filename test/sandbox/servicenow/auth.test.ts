/** Authentication (docs: "Table API" with Basic auth; "OAuth client credentials grant type", POST /oauth_token.do). */
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

  it('refuses a bearer token the instance never issued with 401', async () => {
    const { status } = await sn.raw('GET', `/api/now/table/incident/${sysId}`, { authorization: 'Bearer not-a-real-token' });
    expect(status).toBe(401);
  });
});
