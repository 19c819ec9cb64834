/**
 * Every value the client puts in a URL is validated first: table names, sys_ids and ticket numbers that could change
 * the path or inject `^`/`=` into sysparm_query are refused before any request reaches the instance.
 */
import { SN_FIXTURE } from '@resetpc/sandbox/servicenow';
import { ServiceNowClient } from '../../../src/ticketing/servicenow';
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

const goodSysId = SN_FIXTURE.incident.sys_id;

describe('refused before any request', () => {
  it.each([
    ['a query appended to the sys_id', `${goodSysId}^active=true`],
    ['an = in the sys_id', `${goodSysId.slice(0, 31)}=`],
    ['a path traversal', '../sys_user/0123456789abcdef0123456789abcdef'],
    ['upper-case hex', goodSysId.toUpperCase()],
    ['an encoded slash', `${goodSysId.slice(0, 29)}%2F`],
  ])('refuses a sys_id with %s', async (_what, sysId) => {
    const client = sn.basicClient();
    await expect(client.getTicket('incident', sysId)).rejects.toMatchObject({ code: 'invalid_argument', permanent: true });
    await expect(client.getApprovals(sysId)).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(client.addWorkNote('incident', sysId, 'x')).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(sn.sim.control.calls).toHaveLength(0);
  });

  it.each([
    ['an AND clause', 'INC0010001^active=true'],
    ['an OR clause', 'INC0010001^ORnumber=INC0010002'],
    ['an equals sign', 'INC0010001=x'],
    ['a lower-case prefix', 'inc0010001'],
    ['spaces', 'INC 0010001'],
  ])('refuses a ticket number with %s', async (_what, number) => {
    await expect(sn.basicClient().findByNumber('incident', number)).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(sn.sim.control.calls).toHaveLength(0);
  });

  it.each(['incident/x', 'Incident', 'sys_user?sysparm_query=', '', 'a'])('refuses the table name %j', async (table) => {
    await expect(sn.basicClient().getTicket(table, goodSysId)).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(sn.sim.control.calls).toHaveLength(0);
  });

  it('refuses a state value that is not a number', async () => {
    await expect(sn.basicClient().updateState('incident', goodSysId, { state: '6&close_code=x' })).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(sn.sim.control.calls).toHaveLength(0);
  });

  it('quotes and shortens a refused value in the message', async () => {
    const error = await sn.basicClient().getTicket('incident', 'x'.repeat(500)).catch((e: unknown) => e);
    expect((error as Error).message.length).toBeLessThan(120);
  });
});

describe('client configuration', () => {
  it.each([
    ['credentials in the URL', 'https://user:pass@contoso.service-now.com'],
    ['plain http to a remote host', 'http://contoso.service-now.com'],
    ['a query string', 'https://contoso.service-now.com/?x=1'],
    ['not a URL', 'contoso'],
  ])('refuses an instance URL with %s', (_what, instanceUrl) => {
    expect(() => new ServiceNowClient({ instanceUrl, auth: { kind: 'basic', username: 'u', password: 'p' } })).toThrow(TypeError);
  });

  it('keeps the mount prefix of a sandbox instance URL, without the trailing slash', () => {
    const client = new ServiceNowClient({ instanceUrl: 'http://127.0.0.1:8080/servicenow/', auth: { kind: 'basic', username: 'u', password: 'p' } });
    expect(client.instanceUrl).toBe('http://127.0.0.1:8080/servicenow');
  });

  it('holds no credential in an enumerable property', () => {
    const client = new ServiceNowClient({ instanceUrl: 'https://contoso.service-now.com', auth: { kind: 'oauth', clientId: 'cid', clientSecret: 'Secret-Canary-0042' } });
    expect(JSON.stringify(client)).not.toContain('Secret-Canary-0042');
    expect(Object.values(client).join(' ')).not.toContain('Secret-Canary-0042');
  });
});
