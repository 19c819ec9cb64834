import { JIRA_SECRET, SERVICENOW_SECRET, createTestIntake, type TestIntake } from '../support/intake';
import { jiraHeaders, jiraIssueCreated, serviceNowDelivery, serviceNowHeaders } from '../support/webhooks';

let t: TestIntake;

beforeAll(async () => {
  t = await createTestIntake('webhooks', { JIRA_PROJECTS: 'HD', JIRA_REQUEST_TYPES: 'Reset device passcode', RATE_LIMIT_MAX: '1000' });
});

afterAll(async () => {
  await t.close();
});

async function jira(payload: unknown, headers?: Record<string, string>) {
  const raw = JSON.stringify(payload);
  return t.app.inject({ method: 'POST', url: '/v1/webhooks/jira', headers: headers ?? jiraHeaders(JIRA_SECRET, raw), payload: raw });
}

async function servicenow(payload: unknown, headers?: Record<string, string>) {
  const raw = JSON.stringify(payload);
  return t.app.inject({ method: 'POST', url: '/v1/webhooks/servicenow', headers: headers ?? serviceNowHeaders(SERVICENOW_SECRET, raw), payload: raw });
}

describe('POST /v1/webhooks/jira', () => {
  it('turns a documented jira:issue_created delivery into a queued request', async () => {
    const res = await jira(jiraIssueCreated({ key: 'HD-1', serial: 'JIRA-SN-1' }));
    expect(res.statusCode).toBe(202);
    const { status, id } = res.json<{ status: string; id: string }>();
    expect(status).toBe('accepted');
    expect(await t.queues.reset.getJob(id)).toBeDefined();
    expect((await t.store.get(id))?.request).toMatchObject({
      source: 'jira',
      submittedBy: 'webhook:jira',
      device: { kind: 'serialNumber', value: 'JIRA-SN-1' },
      requestedBy: 'anna@contoso.com',
      ticket: { system: 'jira', key: 'HD-1' },
      reason: 'Jira HD-1: My phone is locked, please reset my passcode',
    });
  });

  it('processes a delivery once: a retry with the same X-Atlassian-Webhook-Identifier has no effect', async () => {
    const raw = JSON.stringify(jiraIssueCreated({ key: 'HD-2', serial: 'JIRA-SN-2' }));
    const headers = jiraHeaders(JIRA_SECRET, raw, 'a3f5c7d9-0000-4000-8000-00000000dup1');
    const first = await t.app.inject({ method: 'POST', url: '/v1/webhooks/jira', headers, payload: raw });
    const retry = await t.app.inject({ method: 'POST', url: '/v1/webhooks/jira', headers: { ...headers, 'x-atlassian-webhook-retry': '1' }, payload: raw });
    expect(first.statusCode).toBe(202);
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toEqual({ status: 'duplicate' });
    expect((await t.store.list({ ticket: 'HD-2' }, 10)).items).toHaveLength(1);
  });

  it.each([
    ['a forged signature', (raw: string) => ({ ...jiraHeaders(JIRA_SECRET, raw), 'x-hub-signature': `sha256=${'0'.repeat(64)}` })],
    ['a body re-signed with another secret', (raw: string) => jiraHeaders('some-other-secret-0000000', raw)],
    ['a signature over a different body', (raw: string) => jiraHeaders(JIRA_SECRET, raw.replace('JIRA-SN-3', 'JIRA-SN-X'))],
    ['no signature', (raw: string) => ({ 'content-type': 'application/json', 'x-atlassian-webhook-identifier': `x${raw.length}` })],
    ['a malformed signature header', (raw: string) => ({ ...jiraHeaders(JIRA_SECRET, raw), 'x-hub-signature': 'md5=abc' })],
  ])('refuses %s with 401 and stores nothing', async (_label, headersFor) => {
    const payload = jiraIssueCreated({ key: 'HD-3', serial: 'JIRA-SN-3' });
    const res = await jira(payload, headersFor(JSON.stringify(payload)));
    expect(res.statusCode).toBe(401);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('invalid_signature');
    expect((await t.store.list({ ticket: 'HD-3' }, 10)).items).toHaveLength(0);
  });

  it('refuses a stale event by its signed timestamp', async () => {
    const res = await jira(jiraIssueCreated({ key: 'HD-4', serial: 'JIRA-SN-4', timestamp: Date.now() - 2 * 3600 * 1000 }));
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('stale_delivery');
    expect((await t.store.list({ ticket: 'HD-4' }, 10)).items).toHaveLength(0);
  });

  it.each([
    ['another project', { project: 'OPS', key: 'OPS-5' }, 'project OPS is not configured'],
    ['an event that does not trigger', { event: 'comment_created' }, 'event comment_created does not trigger resets'],
    ['no device in the field', { serial: undefined }, 'field customfield_10050 holds no device'],
    ['an invalid serial number', { serial: "1' or 1 eq 1" }, 'field customfield_10050 does not hold a valid serialNumber'],
  ])('acknowledges %s with the reason, without a request', async (_label, overrides, reason) => {
    const payload = jiraIssueCreated({ key: 'HD-5', serial: 'JIRA-SN-5', ...overrides });
    const res = await jira(payload);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ignored', reason });
    expect(t.logs.some((l) => l.msg === 'Jira delivery does not ask for a reset' && l.reason === reason)).toBe(true);
  });

  it('answers already_active for an update on a ticket that has an active request', async () => {
    const created = await jira(jiraIssueCreated({ key: 'HD-6', serial: 'JIRA-SN-6' }));
    const updated = await jira(jiraIssueCreated({ key: 'HD-6', serial: 'JIRA-SN-6', event: 'jira:issue_updated' }));
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toEqual({ status: 'already_active', id: created.json<{ id: string }>().id });
  });

  it('links a second ticket for the same device to the active request, queues a note to it, and makes no second request', async () => {
    const first = (await jira(jiraIssueCreated({ key: 'HD-7', serial: 'JIRA-SN-7' }))).json<{ id: string }>();
    const second = await jira(jiraIssueCreated({ key: 'HD-8', serial: 'jira-sn-7' }));
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual({ status: 'linked', id: first.id });
    const stored = await t.store.get(first.id);
    expect(stored?.request.linkedTickets).toEqual([{ system: 'jira', key: 'HD-8' }]);
    expect(stored?.timeline.at(-1)?.reason).toContain('ticket HD-8 asked for the same device');
    const note = await t.queues.notify.getJob(`${first.id}|linked_to_active_request|ticket|jira|HD-8`);
    expect(note?.data).toEqual({ requestId: first.id, event: 'linked_to_active_request', channel: 'ticket', ticket: { system: 'jira', key: 'HD-8' } });
    expect((await t.store.list({ device: 'JIRA-SN-7' }, 10)).items).toHaveLength(1);
    expect((await t.store.list({ ticket: 'HD-8' }, 10)).items.map((r) => r.id)).toEqual([first.id]);
  });

  it('never starts a second reset for a ticket whose request has finished, whatever the ticket later says', async () => {
    const { id } = (await jira(jiraIssueCreated({ key: 'HD-11', serial: 'JIRA-SN-11' }))).json<{ id: string }>();
    // The worker finishes the request and releases its locks.
    const stored = await t.store.get(id);
    await t.redis.hset(t.store.keys.request(id), 'state', 'succeeded');
    if (stored !== undefined) await t.store.release(id, stored.request);

    const update = await jira(jiraIssueCreated({ key: 'HD-11', serial: 'JIRA-SN-11', event: 'jira:issue_updated' }));
    expect(update.statusCode).toBe(200);
    expect(update.json()).toEqual({
      status: 'ignored',
      id,
      reason: `ticket HD-11 already had request ${id} (succeeded); a ticket starts at most one reset; to reset again, retry that request (POST /v1/resets/{id}/retry or the dashboard)`,
    });
    expect((await t.store.list({ ticket: 'HD-11' }, 10)).items).toHaveLength(1);
    // The device itself is free again: another ticket may ask for it.
    expect((await jira(jiraIssueCreated({ key: 'HD-12', serial: 'JIRA-SN-11' }))).statusCode).toBe(202);
  });

  it('accepts a whole Jira issue larger than the API body limit', async () => {
    const payload = jiraIssueCreated({ key: 'HD-13', serial: 'JIRA-SN-13' });
    const large = { ...payload, issue: { ...payload.issue, fields: { ...payload.issue.fields, description: 'x'.repeat(200_000) } } };
    const res = await jira(large);
    expect(res.statusCode).toBe(202);
  });

  it('answers 400 with the documented shape for a signed body that is not JSON', async () => {
    const raw = '{"webhookEvent":';
    const res = await t.app.inject({ method: 'POST', url: '/v1/webhooks/jira', headers: jiraHeaders(JIRA_SECRET, raw), payload: raw });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: { code: 'invalid_json', message: 'The body is not valid JSON' } });
  });
});

describe('POST /v1/webhooks/servicenow', () => {
  it('turns a signed delivery into a queued request with the ticket\'s table and sys_id', async () => {
    const payload = serviceNowDelivery({ number: 'INC0010001', serial: 'SNOW-SN-1', sysId: '9d385017c611228701d22104cc95c371' });
    const res = await servicenow(payload);
    expect(res.statusCode).toBe(202);
    const { id } = res.json<{ id: string }>();
    expect((await t.store.get(id))?.request).toMatchObject({
      source: 'servicenow',
      ticket: { system: 'servicenow', key: 'INC0010001', table: 'incident', sysId: '9d385017c611228701d22104cc95c371' },
    });
  });

  it('ignores a delivery from a table outside SERVICENOW_TABLES, and starts nothing', async () => {
    const only = await createTestIntake('webhooks-sn-tables', { SERVICENOW_TABLES: 'incident' });
    try {
      const payload = { ...serviceNowDelivery({ number: 'RITM0010077', serial: 'SNOW-SN-T1' }), table: 'sc_req_item' };
      const raw = JSON.stringify(payload);
      const res = await only.app.inject({ method: 'POST', url: '/v1/webhooks/servicenow', headers: serviceNowHeaders(SERVICENOW_SECRET, raw), payload: raw });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ignored', reason: 'table sc_req_item is not configured (SERVICENOW_TABLES)' });
      expect((await only.store.list({ ticket: 'RITM0010077' }, 10)).items).toEqual([]);
    } finally {
      await only.close();
    }
  });

  it('refuses a replayed delivery with 409', async () => {
    const raw = JSON.stringify(serviceNowDelivery({ number: 'INC0010002', serial: 'SNOW-SN-2' }));
    const headers = serviceNowHeaders(SERVICENOW_SECRET, raw);
    const first = await t.app.inject({ method: 'POST', url: '/v1/webhooks/servicenow', headers, payload: raw });
    const replay = await t.app.inject({ method: 'POST', url: '/v1/webhooks/servicenow', headers, payload: raw });
    expect(first.statusCode).toBe(202);
    expect(replay.statusCode).toBe(409);
    expect(replay.json<{ error: { code: string } }>().error.code).toBe('replayed_delivery');
  });

  it('refuses a stale timestamp, even when correctly signed', async () => {
    const payload = serviceNowDelivery({ number: 'INC0010003', serial: 'SNOW-SN-3' });
    const res = await servicenow(payload, serviceNowHeaders(SERVICENOW_SECRET, JSON.stringify(payload), Math.floor(Date.now() / 1000) - 301));
    expect(res.statusCode).toBe(401);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('stale_delivery');
  });

  it.each([
    ['a forged signature', (raw: string) => ({ ...serviceNowHeaders(SERVICENOW_SECRET, raw), 'x-resetpc-signature': `v1=${'a'.repeat(64)}` })],
    ['another secret', (raw: string) => serviceNowHeaders('not-the-servicenow-secret', raw)],
    ['a signature over a different body', (raw: string) => serviceNowHeaders(SERVICENOW_SECRET, raw.replace('SNOW-SN-4', 'SNOW-SN-5'))],
    ['a signature for another timestamp', (raw: string) => ({ ...serviceNowHeaders(SERVICENOW_SECRET, raw), 'x-resetpc-timestamp': String(Math.floor(Date.now() / 1000) - 5) })],
    ['no timestamp', (raw: string) => ({ 'content-type': 'application/json', 'x-resetpc-signature': serviceNowHeaders(SERVICENOW_SECRET, raw)['x-resetpc-signature'] ?? '' })],
  ])('refuses %s with 401', async (_label, headersFor) => {
    const payload = serviceNowDelivery({ number: 'INC0010004', serial: 'SNOW-SN-4' });
    const res = await servicenow(payload, headersFor(JSON.stringify(payload)));
    expect(res.statusCode).toBe(401);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('invalid_signature');
    expect((await t.store.list({ ticket: 'INC0010004' }, 10)).items).toHaveLength(0);
  });

  it('names the invalid fields of a signed but invalid delivery', async () => {
    const res = await servicenow({ ...serviceNowDelivery({ number: 'INC0010006', serial: '../../etc' }), sysId: 'nope', extra: 1 });
    expect(res.statusCode).toBe(400);
    const fields = res.json<{ error: { details: { field: string }[] } }>().error.details.map((d) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['body.sysId', 'body.device.serialNumber', 'body']));
  });

  it('answers 415 for a delivery that is not JSON', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/webhooks/servicenow', headers: { 'content-type': 'application/xml' }, payload: '<xml/>' });
    expect(res.statusCode).toBe(415);
  });

  it('links a ServiceNow ticket to the active Jira request for the same device', async () => {
    const first = (await jira(jiraIssueCreated({ key: 'HD-9', serial: 'SHARED-SN-9' }))).json<{ id: string }>();
    const res = await servicenow(serviceNowDelivery({ number: 'INC0010009', serial: 'SHARED-SN-9' }));
    expect(res.json()).toEqual({ status: 'linked', id: first.id });
  });
});

describe('webhooks without a configured secret', () => {
  it('refuses every delivery with 401 webhook_not_configured', async () => {
    const bare = await createTestIntake('nosecret', { JIRA_WEBHOOK_SECRET: '', SERVICENOW_WEBHOOK_SECRET: '' });
    try {
      const raw = JSON.stringify(jiraIssueCreated({ key: 'HD-10', serial: 'X1' }));
      const res = await bare.app.inject({ method: 'POST', url: '/v1/webhooks/jira', headers: jiraHeaders(JIRA_SECRET, raw), payload: raw });
      expect(res.statusCode).toBe(401);
      expect(res.json<{ error: { code: string } }>().error.code).toBe('webhook_not_configured');
    } finally {
      await bare.close();
    }
  });

  it('refuses with 422 a signed ticket from a system whose REST API is not configured, and stores nothing', async () => {
    // The webhook secret alone is not enough: the ticket's approval is read, and its answer written, through the API.
    const half = await createTestIntake('half-configured', { SERVICENOW_INSTANCE_URL: '', JIRA_SITE_URL: '' });
    try {
      const snRaw = JSON.stringify(serviceNowDelivery({ number: 'INC0099001', serial: 'HALF-1' }));
      const sn = await half.app.inject({ method: 'POST', url: '/v1/webhooks/servicenow', headers: serviceNowHeaders(SERVICENOW_SECRET, snRaw), payload: snRaw });
      expect(sn.statusCode).toBe(422);
      expect(sn.json()).toMatchObject({ error: { code: 'ticket_system_not_configured', message: expect.stringContaining('SERVICENOW_INSTANCE_URL') } });
      const jiraRaw = JSON.stringify(jiraIssueCreated({ key: 'HD-99', serial: 'HALF-2' }));
      const jira = await half.app.inject({ method: 'POST', url: '/v1/webhooks/jira', headers: jiraHeaders(JIRA_SECRET, jiraRaw), payload: jiraRaw });
      expect(jira.statusCode).toBe(422);
      expect(jira.json()).toMatchObject({ error: { code: 'ticket_system_not_configured', message: expect.stringContaining('JIRA_SITE_URL') } });
      expect((await half.store.list({}, 10)).items).toEqual([]);
      expect(await half.queues.reset.getJobCounts()).toMatchObject({ waiting: 0, delayed: 0 });
    } finally {
      await half.close();
    }
  });
});
