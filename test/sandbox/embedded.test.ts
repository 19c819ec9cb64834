/**
 * The whole sandbox on one HTTPS server, as `npm start` runs it: the product's own ServiceNow and Jira clients reach
 * it with only the sandbox CA trusted, mail goes to the SMTP catcher, and the control API makes the simulated systems
 * send their signed webhooks to the real intake.
 * This file checks our own start-up and mounting (one origin, /servicenow and /jira prefixes, the control API, which
 * no real service has); the calls it makes through the mounts follow the real services' pages below, whose details
 * the per-system tests (test/sandbox/servicenow, test/sandbox/jira, test/sandbox/smtp) check.
 * Sources:
 * - https://www.servicenow.com/docs/r/api-reference/rest-apis/c_TableAPI.html : GET /api/now/table/{tableName} with
 *   sysparm_query=number=… (the ticket by number, answered as {"result":[…]}) and PATCH
 *   /api/now/table/{tableName}/{sys_id} with a work_notes value (a journal entry on the record), under the instance URL.
 * - https://www.servicenow.com/docs/r/api-reference/server-api-reference/c_RESTMessageV2API.html : outbound calls from
 *   a Business Rule (setBasicAuth, setAuthenticationProfile, setMutualAuth, setRequestHeader; no body signing), so the
 *   webhook's X-ResetPC-* HMAC headers are the product's own scheme (docs/integrations/servicenow.md).
 * - https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/ : REST v3 under the site URL, "Issues" (GET
 *   /rest/api/3/issue/{issueIdOrKey}) and "Issue comments" (POST /rest/api/3/issue/{issueIdOrKey}/comment, body in
 *   Atlassian Document Format).
 * - https://developer.atlassian.com/cloud/jira/platform/jira-rest-api-basic-authentication : Basic auth with the
 *   account email and an API token.
 * - https://developer.atlassian.com/cloud/jira/platform/webhooks/ : jira:issue_created deliveries, signed with
 *   X-Hub-Signature when a secret is set.
 * - https://www.ietf.org/rfc/rfc5321.html : plain SMTP to the catcher (a 250 after the DATA end means accepted).
 */
import nodemailer from 'nodemailer';
import { Agent, fetch } from 'undici';
import { startSandbox, type Sandbox } from '@resetpc/sandbox';
import { SN_FIXTURE } from '@resetpc/sandbox/servicenow';
import { adf, createJiraClient } from '../../src/ticketing/jira';
import { ServiceNowClient } from '../../src/ticketing/servicenow';
import { JIRA_SECRET, SERVICENOW_SECRET, createTestIntake, type TestIntake } from '../support/intake';

describe('the embedded sandbox', () => {
  let sandbox: Sandbox;
  let intake: TestIntake;
  let dispatcher: Agent;

  beforeAll(async () => {
    intake = await createTestIntake('embedded');
    await intake.app.listen({ port: 0, host: '127.0.0.1' });
    const address = intake.app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    sandbox = await startSandbox({ webhooks: { intakeBaseUrl: `http://127.0.0.1:${port}`, servicenowSecret: SERVICENOW_SECRET, jiraSecret: JIRA_SECRET } });
    dispatcher = new Agent({ connect: { ca: sandbox.caPem } });
  });

  afterAll(async () => {
    await dispatcher.close();
    await sandbox.close();
    await intake.close();
  });

  it('serves ServiceNow under /servicenow to the product\'s client over HTTPS', async () => {
    const client = new ServiceNowClient({ instanceUrl: sandbox.urls.servicenow, auth: { kind: 'basic', ...sandbox.servicenow.credentials.basic }, dispatcher });
    const ticket = await client.findByNumber('incident', SN_FIXTURE.incident.number);
    expect(ticket?.sysId).toBe(SN_FIXTURE.incident.sys_id);
    await client.addWorkNote('incident', SN_FIXTURE.incident.sys_id, 'Passcode reset requested');
    expect(sandbox.servicenow.control.journal(SN_FIXTURE.incident.sys_id, 'work_notes').map((j) => j.value)).toContain('Passcode reset requested');
  });

  it('serves Jira under /jira to the product\'s client over HTTPS', async () => {
    const credentials = sandbox.jira.credentials;
    expect(credentials).toBeDefined();
    const client = createJiraClient({ siteUrl: sandbox.urls.jira, email: credentials?.email ?? '', apiToken: credentials?.apiToken ?? '', dispatcher });
    await expect(client.getIssue('HD-1')).resolves.toMatchObject({ key: 'HD-1' });
    await client.addComment('HD-1', adf.doc(adf.paragraph('checking the device')));
    expect(sandbox.jira.control.writes.some((w) => w.path === '/rest/api/3/issue/HD-1/comment')).toBe(true);
  });

  it('catches mail sent over SMTP', async () => {
    const smtp = sandbox.smtp;
    expect(smtp).toBeDefined();
    const transport = nodemailer.createTransport({ host: smtp?.host, port: smtp?.port, secure: false, ignoreTLS: true });
    await transport.sendMail({ from: 'resetpc@contoso.com', to: 'anna@contoso.com', subject: 'HD-1: reset', text: 'done', html: '<p>done</p>' });
    transport.close();
    await smtp?.waitFor((m) => m.subject === 'HD-1: reset', 5000);
    const emails = await (await fetch(`${sandbox.urls.control}/emails`, { dispatcher })).json();
    expect(emails).toEqual([expect.objectContaining({ subject: 'HD-1: reset', to: ['anna@contoso.com'] })]);
  });

  it('sends a ServiceNow ticket\'s signed webhook to the intake through the control API', async () => {
    const res = await fetch(`${sandbox.urls.control}/servicenow/tickets/${SN_FIXTURE.incident.number}/webhook`, {
      method: 'POST',
      body: JSON.stringify({}),
      headers: { 'content-type': 'application/json' },
      dispatcher,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 202 });
    expect((await intake.store.list({ ticket: SN_FIXTURE.incident.number }, 10)).items).toEqual([
      expect.objectContaining({ source: 'servicenow', device: { kind: 'serialNumber', value: SN_FIXTURE.incident.u_device_serial } }),
    ]);
  });

  it('sends a Jira issue\'s signed webhook to the intake through the control API', async () => {
    const created = await fetch(`${sandbox.urls.control}/jira/issues`, {
      method: 'POST',
      body: JSON.stringify({ projectKey: 'HD', summary: 'Phone locked', reporter: 'anna@contoso.com', device: 'JIRA-EMB-1' }),
      headers: { 'content-type': 'application/json' },
      dispatcher,
    });
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };
    const sent = await fetch(`${sandbox.urls.control}/jira/issues/${key}/webhook`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' }, dispatcher });
    expect(sent.status).toBe(200);
    expect((await intake.store.list({ ticket: key }, 10)).items).toEqual([expect.objectContaining({ source: 'jira', device: { kind: 'serialNumber', value: 'JIRA-EMB-1' } })]);
  });
});
