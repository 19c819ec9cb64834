import { JIRA_SECRET, createTestIntake, type TestIntake } from '../support/intake';
import { jiraHeaders, jiraIssueCreated } from '../support/webhooks';

describe('the intake service', () => {
  let t: TestIntake;

  beforeAll(async () => {
    t = await createTestIntake('service', { RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_MS: '60000' });
  });

  afterAll(async () => {
    await t.close();
  });

  it('limits each caller separately and answers 429 with Retry-After', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await t.app.inject({ method: 'GET', url: '/v1/resets', headers: t.auth('operator') });
      codes.push(res.statusCode);
      if (res.statusCode === 429) {
        expect(res.json()).toEqual({ error: { code: 'rate_limited', message: expect.stringMatching(/^Too many requests/) } });
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      }
    }
    expect(codes).toEqual([200, 200, 200, 200, 200, 429]);
    // Another caller still has its own budget; health checks are never limited.
    expect((await t.app.inject({ method: 'GET', url: '/v1/resets', headers: t.auth('approver') })).statusCode).toBe(200);
    for (let i = 0; i < 7; i++) expect((await t.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
  });

  it('serves an OpenAPI 3 document generated from the route schemas, and its docs page', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{ openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown>; required?: string[] } }> }; responses: Record<string, unknown> }>> }>();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/resets', '/v1/resets/{id}', '/v1/webhooks/jira', '/v1/webhooks/servicenow', '/health/live', '/health/ready']));
    const post = doc.paths['/v1/resets']?.post;
    const schema = post?.requestBody?.content['application/json']?.schema;
    expect(Object.keys(schema?.properties ?? {})).toEqual(['device', 'requestedBy', 'reason', 'ticket']);
    // device and requestedBy are required unless a ticket is cited (then they come from the ticket): said in words.
    expect(schema?.required ?? []).toEqual([]);
    expect(JSON.stringify(schema?.properties)).toContain('Required without a ticket');
    expect(Object.keys(post?.responses ?? {})).toEqual(expect.arrayContaining(['202', '400', '401', '403', '409', '413', '415', '422', '429', '503']));
    const docs = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect([200, 302]).toContain(docs.statusCode);
  });

  it('answers 404 in the error shape for an unknown route', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v2/nothing' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'not_found', message: 'No route for GET /v2/nothing' } });
  });

  it('puts the request id on every log line of a request, and echoes it', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/resets',
      headers: { ...t.auth('admin'), 'x-request-id': 'req-trace-000123' },
      payload: { device: { serialNumber: 'SN-TRACE' }, requestedBy: 'anna@contoso.com' },
    });
    expect(res.statusCode).toBe(202);
    expect(res.headers['x-request-id']).toBe('req-trace-000123');
    const lines = t.logs.filter((l) => l.reqId === 'req-trace-000123');
    // One line for an accepted request: the access line carries what the request did, and who asked.
    expect(lines.map((l) => l.msg)).toEqual(['request completed']);
    expect(lines[0]).toMatchObject({
      method: 'POST',
      route: '/v1/resets',
      statusCode: 202,
      responseTime: expect.any(Number),
      caller: 'admin',
      outcome: 'request accepted',
      requestId: res.json<{ id: string }>().id,
      source: 'api',
      device: { kind: 'serialNumber', value: 'SN-TRACE' },
    });
  });

  it('replaces an unsafe incoming request id with its own', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'bad id with spaces' } });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('never writes a token, a signature or a webhook secret to the log', async () => {
    const raw = JSON.stringify(jiraIssueCreated({ key: 'HD-77', serial: 'SN-LOG-1' }));
    const headers = jiraHeaders(JIRA_SECRET, raw);
    await t.app.inject({ method: 'POST', url: '/v1/webhooks/jira', headers, payload: raw });
    await t.app.inject({ method: 'POST', url: '/v1/resets', headers: { authorization: 'Bearer rpt_wrong-token-for-logging-check' }, payload: {} });
    const all = t.rawLogs.join('\n');
    expect(all.length).toBeGreaterThan(0);
    for (const secret of [...Object.values(t.tokens), 'rpt_wrong-token-for-logging-check', JIRA_SECRET, headers['x-hub-signature'] ?? 'x']) {
      expect(all).not.toContain(secret);
    }
  });

  it('reports readiness when Redis answers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready', checks: { redis: 'ok' } });
  });
});
