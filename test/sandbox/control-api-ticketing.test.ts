import nodemailer from 'nodemailer';
import { Agent, fetch } from 'undici';
import { startSandbox, type Sandbox } from '@resetpc/sandbox';
import { SN_FIXTURE } from '@resetpc/sandbox/servicenow';

/**
 * The control API of the simulated ServiceNow, Jira and SMTP catcher (docs/sandbox.md, "Control API reference"),
 * driven over HTTPS as curl would, trusting only the sandbox CA. The systems' own answers are checked over their
 * public paths (/servicenow/api/now/…, /jira/rest/…, SMTP) with the sandbox's integration credentials.
 *
 * The control API is the sandbox's own; what it makes the simulated systems do follows their public references:
 * - ServiceNow: Table API paths and records, https://www.servicenow.com/docs/r/api-reference/rest-apis/c_TableAPI.html;
 *   approvals, https://www.servicenow.com/docs/r/australia/build-workflows/approvals/r_Approvals.html; a per-user
 *   inbound rate limit answered with 429 and Retry-After,
 *   https://www.servicenow.com/docs/r/api-reference/rest-api-explorer/inbound-REST-API-rate-limiting.html.
 * - Jira Cloud: REST v3 paths, https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/; comments,
 *   https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-comments/; 429 with Retry-After,
 *   https://developer.atlassian.com/cloud/jira/platform/rate-limiting/.
 * - Mail: a message as RFC 5322 defines it, https://datatracker.ietf.org/doc/rfc5322/.
 */
interface Answer {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly json: unknown;
}

async function request(sandbox: Sandbox, agent: Agent, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${sandbox.urls.origin}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    dispatcher: agent,
    // A `redirect` fault is seen as it is answered.
    redirect: 'manual',
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('sandbox control API: ServiceNow, Jira and mail', () => {
  let sandbox: Sandbox;
  let agent: Agent;
  const call = (method: string, path: string, body?: unknown): Promise<Answer> => request(sandbox, agent, method, path, body);

  beforeAll(async () => {
    // Webhook targets are configured (so the routes get past "not configured"), but nothing listens there: only the
    // 404 answers, which come before any delivery, are exercised.
    sandbox = await startSandbox({ webhooks: { intakeBaseUrl: 'http://127.0.0.1:9', servicenowSecret: 's'.repeat(32), jiraSecret: 'j'.repeat(32) } });
    agent = new Agent({ connect: { ca: sandbox.caPem } });
  });

  afterAll(async () => {
    await agent.close();
    await sandbox.close();
  });

  describe('ServiceNow', () => {
    const snGet = (path: string): Promise<Answer> => {
      const { username, password } = sandbox.servicenow.credentials.basic;
      return request(sandbox, agent, 'GET', `/servicenow${path}`, undefined, { authorization: basic(username, password), accept: 'application/json' });
    };

    afterEach(() => {
      sandbox.servicenow.control.clearFaults();
      sandbox.servicenow.control.setRateLimit(undefined);
    });

    it('adds a requested item, and refuses a number that is taken with 409', async () => {
      const created = await call('POST', '/_sandbox/servicenow/requested-items', { short_description: 'Reset kiosk passcode', requester: SN_FIXTURE.users.requester.user_name });
      expect(created.status).toBe(201);
      const item = created.json as { sys_id: string; number: string };
      expect(item).toMatchObject({ number: expect.stringMatching(/^RITM\d{7}$/), requested_for: SN_FIXTURE.users.requester.sys_id, approval: 'not requested', state: '1' });
      const tickets = (await call('GET', '/_sandbox/servicenow/tickets')).json as { sc_req_item: Record<string, unknown> };
      expect(tickets.sc_req_item[item.sys_id]).toEqual(item);
      const read = await snGet(`/api/now/table/sc_req_item/${item.sys_id}`);
      expect(read.status).toBe(200);
      expect(read.json).toMatchObject({ result: { number: item.number } });

      const taken = { error: { code: 'conflict', message: `ticket ${SN_FIXTURE.requestedItem.number} already exists in the ServiceNow sandbox` } };
      expect(await call('POST', '/_sandbox/servicenow/requested-items', { number: SN_FIXTURE.requestedItem.number })).toMatchObject({ status: 409, json: taken });
      expect(await call('POST', '/_sandbox/servicenow/incidents', { number: SN_FIXTURE.requestedItem.number })).toMatchObject({ status: 409, json: taken });
      expect((await call('POST', '/_sandbox/servicenow/incidents', { number: SN_FIXTURE.incident.number })).status).toBe(409);
      expect((await call('POST', '/_sandbox/servicenow/requested-items', { u_device_serial: 'X1' })).status).toBe(400);
    });

    it('never generates a number that was added by hand', async () => {
      const first = (await call('POST', '/_sandbox/servicenow/incidents', {})).json as { number: string };
      const n = Number(first.number.slice(3));
      const byHand = `INC${String(n + 1).padStart(7, '0')}`;
      expect((await call('POST', '/_sandbox/servicenow/incidents', { number: byHand })).status).toBe(201);
      const next = (await call('POST', '/_sandbox/servicenow/incidents', {})).json as { number: string };
      expect(next.number).toBe(`INC${String(n + 2).padStart(7, '0')}`);
      const numbers = Object.values(sandbox.servicenow.state.tables.incident).map((r) => r.number);
      expect(new Set(numbers).size).toBe(numbers.length);
    });

    it('refuses an unknown requester with 400, naming the field, and adds nothing', async () => {
      const before = Object.keys(sandbox.servicenow.state.tables.incident).length;
      expect(await call('POST', '/_sandbox/servicenow/incidents', { requester: 'nobody' })).toEqual({
        status: 400,
        headers: expect.anything(),
        json: { error: { code: 'validation_failed', message: 'no user nobody in the ServiceNow sandbox', details: [{ field: 'requester', message: 'no user nobody in the ServiceNow sandbox' }] } },
      });
      expect((await call('POST', '/_sandbox/servicenow/requested-items', { requester: 'nobody' })).status).toBe(400);
      expect(Object.keys(sandbox.servicenow.state.tables.incident)).toHaveLength(before);
    });

    it('adds approval rows to a task, lists them, and decides them', async () => {
      const number = SN_FIXTURE.requestedItem.number;
      const added = await call('POST', `/_sandbox/servicenow/tickets/${number}/approvals`, { approver: SN_FIXTURE.users.secondApprover.user_name });
      expect(added.status).toBe(201);
      const row = added.json as { sys_id: string };
      expect(row).toMatchObject({ approver: SN_FIXTURE.users.secondApprover.sys_id, sysapproval: SN_FIXTURE.requestedItem.sys_id, state: 'requested' });

      const listed = await call('GET', `/_sandbox/servicenow/tickets/${SN_FIXTURE.requestedItem.sys_id}/approvals`);
      expect(listed.status).toBe(200);
      expect((listed.json as { sys_id: string }[]).map((r) => r.sys_id).sort()).toEqual([SN_FIXTURE.approval.sys_id, row.sys_id].sort());

      const decided = await call('PUT', `/_sandbox/servicenow/approvals/${row.sys_id}`, { state: 'rejected' });
      expect(decided).toMatchObject({ status: 200, json: { sys_id: row.sys_id, state: 'rejected' } });
      expect(sandbox.servicenow.control.task(number)?.record.approval).toBe('rejected');
      const read = await snGet(`/api/now/table/sysapproval_approver?sysparm_query=sysapproval=${SN_FIXTURE.requestedItem.sys_id}`);
      expect((read.json as { result: unknown[] }).result).toHaveLength(2);

      const inc = await call('POST', '/_sandbox/servicenow/tickets/INC0010001/approvals', { approver: SN_FIXTURE.users.approver.sys_id, state: 'approved' });
      expect(inc).toMatchObject({ status: 201, json: { sysapproval: SN_FIXTURE.incident.sys_id, state: 'approved' } });
    });

    it('answers 404 for unknown tickets and approvals, and 400 for an unknown approver', async () => {
      const noTicket = { error: { code: 'not_found', message: 'no ticket INC9999999 in the ServiceNow sandbox' } };
      expect(await call('GET', '/_sandbox/servicenow/tickets/INC9999999/approvals')).toMatchObject({ status: 404, json: noTicket });
      expect(await call('POST', '/_sandbox/servicenow/tickets/INC9999999/approvals', { approver: 'mia.manager' })).toMatchObject({ status: 404, json: noTicket });
      expect(await call('POST', '/_sandbox/servicenow/tickets/INC9999999/webhook', {})).toMatchObject({ status: 404, json: noTicket });
      expect(await call('PUT', '/_sandbox/servicenow/approvals/0000', { state: 'approved' })).toMatchObject({
        status: 404,
        json: { error: { code: 'not_found', message: 'no approval 0000 in the ServiceNow sandbox' } },
      });
      const unknownApprover = await call('POST', `/_sandbox/servicenow/tickets/${SN_FIXTURE.incident.number}/approvals`, { approver: 'nobody' });
      expect(unknownApprover).toMatchObject({ status: 400, json: { error: { code: 'validation_failed', details: [{ field: 'approver' }] } } });
      expect((await call('POST', `/_sandbox/servicenow/tickets/${SN_FIXTURE.incident.number}/approvals`, { approver: 'mia.manager', state: 'maybe' })).status).toBe(400);
    });

    it('injects faults on Table API paths without the mount prefix, and removes them', async () => {
      const path = `/api/now/table/incident/${SN_FIXTURE.incident.sys_id}`;
      const added = await call('POST', '/_sandbox/servicenow/faults', { method: 'GET', path: '/api/now/table/incident/*', sequence: [{ kind: 'status', status: 503, retryAfterSeconds: 4 }] });
      expect(added).toMatchObject({ status: 201, json: { id: expect.any(Number) } });
      const failed = await snGet(path);
      expect(failed.status).toBe(503);
      expect(failed.headers.get('retry-after')).toBe('4');
      expect((await snGet(path)).status).toBe(200);

      const { id } = (await call('POST', '/_sandbox/servicenow/faults', { path: '/api/now/table/**', fault: { kind: 'status', status: 500 } })).json as { id: number };
      expect((await snGet(path)).status).toBe(500);
      expect((await call('DELETE', `/_sandbox/servicenow/faults/${String(id)}`)).status).toBe(204);
      expect((await snGet(path)).status).toBe(200);
      expect(await call('DELETE', `/_sandbox/servicenow/faults/${String(id)}`)).toMatchObject({ status: 404, json: { error: { code: 'not_found', message: `no ServiceNow fault rule ${String(id)}` } } });

      expect((await call('POST', '/_sandbox/servicenow/faults', { path: '/api/now/table/**', fault: { kind: 'status', status: 302 } })).status).toBe(400);
      // Refusals for good can be injected too (issue 12): any status from 400 to 599.
      expect((await call('POST', '/_sandbox/servicenow/faults', { path: '/api/now/table/sysapproval_approver', fault: { kind: 'status', status: 403 } })).status).toBe(201);
      expect((await call('POST', '/_sandbox/servicenow/faults', { path: '/api/now/table/**', fault: { kind: 'reset' } })).status).toBe(201);
      expect((await call('DELETE', '/_sandbox/servicenow/faults')).status).toBe(204);
      // A redirect instead of the route (docs/sandbox.md): a 3xx status and an http(s) Location only.
      expect((await call('POST', '/_sandbox/servicenow/faults', { path: '/api/now/table/**', sequence: [{ kind: 'redirect', status: 302, location: 'https://elsewhere.example/download' }] })).status).toBe(201);
      const moved = await snGet(path);
      expect([moved.status, moved.headers.get('location')]).toEqual([302, 'https://elsewhere.example/download']);
      expect((await call('POST', '/_sandbox/servicenow/faults', { path: '/api/now/table/**', fault: { kind: 'redirect', status: 304, location: 'https://elsewhere.example/' } })).status).toBe(400);
      expect((await call('POST', '/_sandbox/servicenow/faults', { path: '/api/now/table/**', fault: { kind: 'redirect', status: 302, location: 'javascript:alert(1)' } })).status).toBe(400);
      expect((await snGet(path)).status).toBe(200);
    });

    it('sets and removes a per-user rate limit', async () => {
      const path = `/api/now/table/incident/${SN_FIXTURE.incident.sys_id}`;
      expect((await call('PUT', '/_sandbox/servicenow/rate-limit', { limit: 1, windowMs: 60_000 })).status).toBe(204);
      expect((await snGet(path)).status).toBe(200);
      const limited = await snGet(path);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('x-ratelimit-limit')).toBe('1');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await call('DELETE', '/_sandbox/servicenow/rate-limit')).status).toBe(204);
      expect((await snGet(path)).status).toBe(200);
      expect((await call('PUT', '/_sandbox/servicenow/rate-limit', { limit: 0, windowMs: 60_000 })).status).toBe(400);
      expect((await call('PUT', '/_sandbox/servicenow/rate-limit', { maxRequests: 1, windowMs: 60_000 })).status).toBe(400);
    });

    it('clears its records, keeping its tickets', async () => {
      const { username, password } = sandbox.servicenow.credentials.basic;
      const patched = await request(sandbox, agent, 'PATCH', `/servicenow/api/now/table/incident/${SN_FIXTURE.incident.sys_id}`, { work_notes: 'checking' }, { authorization: basic(username, password) });
      expect(patched.status).toBe(200);
      expect(((await call('GET', '/_sandbox/servicenow/writes')).json as { writes: unknown[] }).writes.length).toBeGreaterThan(0);
      expect((await call('POST', '/_sandbox/servicenow/records/clear')).status).toBe(204);
      expect((await call('GET', '/_sandbox/servicenow/writes')).json).toEqual({ writes: [], webhooksSent: [] });
      expect(sandbox.servicenow.control.calls).toEqual([]);
      expect(sandbox.servicenow.control.task(SN_FIXTURE.incident.number)).toBeDefined();
    });
  });

  describe('Jira', () => {
    const jiraGet = (path: string): Promise<Answer> => {
      const credentials = sandbox.jira.credentials;
      if (credentials === undefined) throw new Error('the sandbox Jira has no API user');
      return request(sandbox, agent, 'GET', `/jira${path}`, undefined, { authorization: basic(credentials.email, credentials.apiToken), accept: 'application/json' });
    };

    afterEach(() => {
      sandbox.jira.control.faults.clear();
      sandbox.jira.control.setRateLimit(undefined);
    });

    it('refuses an issue naming an unknown project, reporter or approver with 400, and adds nothing', async () => {
      const count = sandbox.jira.state.issues.length;
      const issue = { projectKey: 'HD', summary: 'Phone locked', reporter: 'anna@contoso.com' };
      expect(await call('POST', '/_sandbox/jira/issues', { ...issue, projectKey: 'NOPE' })).toMatchObject({
        status: 400,
        json: { error: { code: 'validation_failed', message: 'no project NOPE in the Jira sandbox', details: [{ field: 'projectKey' }] } },
      });
      expect(await call('POST', '/_sandbox/jira/issues', { ...issue, reporter: 'nobody@contoso.com' })).toMatchObject({ status: 400, json: { error: { details: [{ field: 'reporter' }] } } });
      const approvals = [{ name: 'Manager approval', approvers: ['ben.manager@contoso.com', 'nobody@contoso.com'] }];
      expect(await call('POST', '/_sandbox/jira/issues', { ...issue, approvals })).toMatchObject({
        status: 400,
        json: { error: { code: 'validation_failed', message: 'no account nobody@contoso.com in the Jira sandbox', details: [{ field: 'approvals.0.approvers.1' }] } },
      });
      expect(sandbox.jira.state.issues).toHaveLength(count);

      const created = await call('POST', '/_sandbox/jira/issues', { ...issue, approvals: [{ name: 'Manager approval', approvers: ['ben.manager@contoso.com'] }] });
      expect(created).toMatchObject({ status: 201, json: { projectKey: 'HD', approvals: [{ name: 'Manager approval', approvers: [{ decision: 'pending' }] }] } });
      expect(sandbox.jira.state.issues).toHaveLength(count + 1);
    });

    it('adds an approval to an issue and decides it; 404 for an unknown issue or an issue without approvals', async () => {
      const added = await call('POST', '/_sandbox/jira/issues/OPS-1/approvals', { name: 'IT approval', approvers: ['cleo.it@contoso.com', 'ben.manager@contoso.com'], required: 2 });
      expect(added).toMatchObject({ status: 201, json: { id: expect.any(String), name: 'IT approval', required: 2, approvers: [{ decision: 'pending' }, { decision: 'pending' }] } });
      expect((await call('PUT', '/_sandbox/jira/issues/OPS-1/approval', { decision: 'approved', approver: 'cleo.it@contoso.com' })).status).toBe(204);
      expect(sandbox.jira.control.issue('OPS-1')?.approvals.at(-1)?.approvers.map((a) => a.decision)).toEqual(['approved', 'pending']);

      expect(await call('POST', '/_sandbox/jira/issues/HD-999/approvals', { name: 'x', approvers: ['ben.manager@contoso.com'] })).toMatchObject({
        status: 404,
        json: { error: { code: 'not_found', message: 'no issue HD-999 in the Jira sandbox' } },
      });
      expect((await call('POST', '/_sandbox/jira/issues/OPS-1/approvals', { name: 'x', approvers: ['nobody@contoso.com'] })).status).toBe(400);
      expect((await call('POST', '/_sandbox/jira/issues/OPS-1/approvals', { name: 'x', approvers: ['ben.manager@contoso.com'], required: 2 })).status).toBe(400);

      const bare = (await call('POST', '/_sandbox/jira/issues', { projectKey: 'OPS', summary: 'No approvals', reporter: 'anna@contoso.com' })).json as { key: string };
      expect(await call('PUT', `/_sandbox/jira/issues/${bare.key}/approval`, { decision: 'approved' })).toMatchObject({
        status: 404,
        json: { error: { code: 'not_found', message: `issue ${bare.key} has no approval` } },
      });
      expect(await call('PUT', '/_sandbox/jira/issues/HD-999/approval', { decision: 'approved' })).toMatchObject({ status: 404, json: { error: { code: 'not_found' } } });
      expect(await call('POST', '/_sandbox/jira/issues/HD-999/webhook', {})).toMatchObject({ status: 404, json: { error: { code: 'not_found' } } });
    });

    it('refuses a decision by an unknown account or by someone who is not an approver with 400', async () => {
      expect(await call('PUT', '/_sandbox/jira/issues/HD-1/approval', { decision: 'approved', approver: 'nobody@contoso.com' })).toMatchObject({
        status: 400,
        json: { error: { code: 'validation_failed', details: [{ field: 'approver' }] } },
      });
      expect(await call('PUT', '/_sandbox/jira/issues/HD-1/approval', { decision: 'approved', approver: 'cleo.it@contoso.com' })).toMatchObject({
        status: 400,
        json: { error: { code: 'validation_failed', message: "cleo.it@contoso.com is not an approver of HD-1's latest approval" } },
      });
      expect(sandbox.jira.control.issue('HD-1')?.approvals.at(-1)?.approvers.map((a) => a.decision)).toEqual(['pending']);
    });

    it('injects faults on paths from /rest/ on, and removes them', async () => {
      const added = await call('POST', '/_sandbox/jira/faults', { method: 'GET', path: '/rest/api/3/issue/*', sequence: [{ kind: 'status', status: 503 }, null] });
      expect(added).toMatchObject({ status: 201, json: { id: expect.any(Number) } });
      expect((await jiraGet('/rest/api/3/issue/HD-1')).status).toBe(503);
      expect((await jiraGet('/rest/api/3/issue/HD-1')).status).toBe(200);
      const { id } = (await call('POST', '/_sandbox/jira/faults', { path: '/rest/**', fault: { kind: 'status', status: 429, retryAfterSeconds: 9 } })).json as { id: number };
      const limited = await jiraGet('/rest/api/3/issue/HD-1');
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('9');
      expect((await call('DELETE', `/_sandbox/jira/faults/${String(id)}`)).status).toBe(204);
      expect(await call('DELETE', `/_sandbox/jira/faults/${String(id)}`)).toMatchObject({ status: 404, json: { error: { code: 'not_found', message: `no Jira fault rule ${String(id)}` } } });
      expect((await jiraGet('/rest/api/3/issue/HD-1')).status).toBe(200);
      expect((await call('POST', '/_sandbox/jira/faults', { path: '/rest/**' })).status).toBe(400);
      expect((await call('POST', '/_sandbox/jira/faults', { path: '/rest/**', sequence: [{ kind: 'redirect', status: 307, location: 'https://elsewhere.example/rest' }] })).status).toBe(201);
      const moved = await jiraGet('/rest/api/3/issue/HD-1');
      expect([moved.status, moved.headers.get('location')]).toEqual([307, 'https://elsewhere.example/rest']);
      expect((await jiraGet('/rest/api/3/issue/HD-1')).status).toBe(200);
      expect((await call('DELETE', '/_sandbox/jira/faults')).status).toBe(204);
    });

    it('sets and removes a per-account rate limit', async () => {
      expect((await call('PUT', '/_sandbox/jira/rate-limit', { maxRequests: 1, windowMs: 60_000 })).status).toBe(204);
      const admitted = await jiraGet('/rest/api/3/issue/HD-1');
      expect(admitted.status).toBe(200);
      expect(admitted.headers.get('x-ratelimit-remaining')).toBe('0');
      const limited = await jiraGet('/rest/api/3/issue/HD-1');
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await call('DELETE', '/_sandbox/jira/rate-limit')).status).toBe(204);
      expect((await jiraGet('/rest/api/3/issue/HD-1')).status).toBe(200);
      expect((await call('PUT', '/_sandbox/jira/rate-limit', { limit: 1, windowMs: 60_000 })).status).toBe(400);
    });

    it('clears its records, keeping its issues', async () => {
      const credentials = sandbox.jira.credentials;
      if (credentials === undefined) throw new Error('the sandbox Jira has no API user');
      const comment = { body: { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: 'checking' }] }] } };
      const posted = await request(sandbox, agent, 'POST', '/jira/rest/api/3/issue/HD-1/comment', comment, { authorization: basic(credentials.email, credentials.apiToken) });
      expect(posted.status).toBe(201);
      expect(((await call('GET', '/_sandbox/jira/writes')).json as { writes: unknown[] }).writes.length).toBeGreaterThan(0);
      expect((await call('POST', '/_sandbox/jira/records/clear')).status).toBe(204);
      expect((await call('GET', '/_sandbox/jira/writes')).json).toEqual({ writes: [], webhooks: [] });
      expect(sandbox.jira.control.requests).toEqual([]);
      expect(sandbox.jira.control.issue('HD-1')?.comments.length).toBeGreaterThan(0);
    });
  });

  describe('mail', () => {
    async function send(subject: string): Promise<void> {
      const smtp = sandbox.smtp;
      if (smtp === undefined) throw new Error('the sandbox has no SMTP catcher');
      const transport = nodemailer.createTransport({ host: smtp.host, port: smtp.port, secure: false, ignoreTLS: true });
      try {
        await transport.sendMail({ from: 'resetpc@contoso.com', to: 'anna@contoso.com', subject, text: 'hello' });
      } finally {
        transport.close();
      }
    }

    afterEach(() => {
      sandbox.smtp?.accept();
    });

    it('simulates an SMTP outage and the recovery', async () => {
      expect((await call('PUT', '/_sandbox/emails/outage', { stage: 'mail', code: 451 })).status).toBe(204);
      await expect(send('during the outage')).rejects.toMatchObject({ responseCode: 451 });
      expect((await call('PUT', '/_sandbox/emails/outage', { stage: 'data', code: 554, message: 'Message rejected' })).status).toBe(204);
      await expect(send('rejected')).rejects.toMatchObject({ responseCode: 554, response: expect.stringContaining('Message rejected') });
      expect((await call('DELETE', '/_sandbox/emails/outage')).status).toBe(204);
      await send('after the outage');
      const subjects = ((await call('GET', '/_sandbox/emails')).json as { subject: string }[]).map((m) => m.subject);
      expect(subjects).toContain('after the outage');
      expect(subjects).not.toContain('during the outage');
      expect(subjects).not.toContain('rejected');
      expect(sandbox.smtp?.refusals).toBe(2);
    });

    it('refuses an outage it cannot simulate with 400', async () => {
      expect((await call('PUT', '/_sandbox/emails/outage', { stage: 'rcpt', code: 451 })).status).toBe(400);
      expect((await call('PUT', '/_sandbox/emails/outage', { stage: 'mail', code: 500 })).status).toBe(400);
      expect((await call('PUT', '/_sandbox/emails/outage', { stage: 'mail', code: 451, message: 'line\r\nbreak' })).status).toBe(400);
    });

    it('clears the messages it caught', async () => {
      await send('to be cleared');
      expect(((await call('GET', '/_sandbox/emails')).json as unknown[]).length).toBeGreaterThan(0);
      expect((await call('DELETE', '/_sandbox/emails')).status).toBe(204);
      expect((await call('GET', '/_sandbox/emails')).json).toEqual([]);
    });
  });
});

describe('sandbox control API without an SMTP catcher or webhook targets', () => {
  let sandbox: Sandbox;
  let agent: Agent;

  beforeAll(async () => {
    sandbox = await startSandbox({ smtpPort: false });
    agent = new Agent({ connect: { ca: sandbox.caPem } });
  });

  afterAll(async () => {
    await agent.close();
    await sandbox.close();
  });

  it('answers 409 not_configured for an SMTP outage and for webhooks', async () => {
    const outage = await request(sandbox, agent, 'PUT', '/_sandbox/emails/outage', { stage: 'connect', code: 421 });
    expect(outage).toMatchObject({ status: 409, json: { error: { code: 'not_configured', message: 'the SMTP catcher is off in this sandbox' } } });
    expect((await request(sandbox, agent, 'DELETE', '/_sandbox/emails/outage')).status).toBe(409);
    expect(await request(sandbox, agent, 'GET', '/_sandbox/emails')).toMatchObject({ status: 200, json: [] });
    expect((await request(sandbox, agent, 'POST', `/_sandbox/servicenow/tickets/${SN_FIXTURE.incident.number}/webhook`, {})).status).toBe(409);
    expect((await request(sandbox, agent, 'POST', '/_sandbox/jira/issues/HD-1/webhook', {})).status).toBe(409);
  });
});
