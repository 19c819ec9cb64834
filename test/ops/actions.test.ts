import { TenantControlStore } from '../../src/store/tenant-controls';
import { TOKEN_NAMES, createTestIntake, type TestIntake } from '../support/intake';
import { postForm, signIn, type OpsLogin } from './session';
import { submit, undeliverableNotification, walk } from './support';

/** Every dashboard action: its role, its CSRF check, its effect through the intake's own services, and its record. */
let t: TestIntake;
let admin: OpsLogin;
let operator: OpsLogin;
let approver: OpsLogin;
const TENANT = '2f1e3d4c-5b6a-4789-8abc-def012345678';

beforeAll(async () => {
  t = await createTestIntake('opsactions', { RATE_LIMIT_MAX: '10000', BLAST_RADIUS_PER_HOUR: '3' });
  [admin, operator, approver] = await Promise.all([signIn(t, 'admin'), signIn(t, 'operator'), signIn(t, 'approver')]);
});

afterAll(async () => {
  await t.close();
});

const stateOf = async (id: string) => (await t.store.get(id))?.request.state;
const lastEntry = async (id: string) => (await t.store.get(id))?.timeline.at(-1);

/**
 * A refused action returns to the request's page (303), which shows why inline, in its Actions card; returns the
 * refusal's text as the page shows it.
 */
async function refusalShown(res: { statusCode: number; headers: Record<string, unknown> }, id: string, login: OpsLogin): Promise<string> {
  expect(res.statusCode).toBe(303);
  const location = String(res.headers.location);
  expect(location).toMatch(new RegExp(`^/ops/requests/${id}\\?refused=[A-Za-z0-9_-]{12}$`));
  const page = await t.app.inject({ method: 'GET', url: location, headers: { cookie: login.cookie } });
  expect(page.statusCode).toBe(200);
  expect(page.body).toContain(`<h1>Request <code>${id}</code></h1>`);
  const refusal = /<div id="refusal"><div class="banner bad" role="alert"><strong>That action was not done<\/strong><span>([^<]*)<\/span><\/div><\/div>/.exec(page.body);
  expect(refusal).not.toBeNull();
  expect(page.body.indexOf('id="refusal"')).toBeGreaterThan(page.body.indexOf('id="h-actions"'));
  return refusal?.[1] ?? '';
}

describe('approve', () => {
  it('needs the approve role and the CSRF token, then records the approver in the timeline', async () => {
    const id = await submit(t, 'ACT-APPROVE-1');
    await walk(t, id, 'checking_eligibility', 'awaiting_approval');
    expect((await postForm(t, `/ops/requests/${id}/approve`, operator)).statusCode).toBe(403);
    expect((await postForm(t, `/ops/requests/${id}/approve`, approver, {}, null)).statusCode).toBe(403);
    expect((await postForm(t, `/ops/requests/${id}/approve`, approver, {}, admin.csrf)).statusCode).toBe(403);
    expect((await postForm(t, `/ops/requests/${id}/approve`, undefined)).statusCode).toBe(401);
    expect((await t.store.get(id))?.workflow.apiApproval).toBeUndefined();
    const res = await postForm(t, `/ops/requests/${id}/approve`, approver);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/ops/requests/${id}?done=approve`);
    expect((await t.store.get(id))?.workflow.apiApproval?.by).toBe(TOKEN_NAMES.approver);
    expect(await lastEntry(id)).toMatchObject({ actor: TOKEN_NAMES.approver, reason: `approved by ${TOKEN_NAMES.approver}` });
    const page = await t.app.inject({ method: 'GET', url: res.headers.location ?? '', headers: { cookie: approver.cookie } });
    expect(page.body).toContain('Approved. The worker picks the request up now.');
    // The timeline names the approval as an event, not a move to the same state.
    expect(page.body).toContain(`<span class="muted">approval recorded</span> · <strong>${TOKEN_NAMES.approver}</strong><br>approved by ${TOKEN_NAMES.approver}`);
    expect(page.body).not.toContain(`action="/ops/requests/${id}/approve"`);
  });

  it('shows the service\'s refusal inline on the request\'s page: a ticket\'s approval belongs in the ticket', async () => {
    const id = await submit(t, 'ACT-APPROVE-2', { ticket: { system: 'servicenow', key: 'INC0012345' } });
    const res = await postForm(t, `/ops/requests/${id}/approve`, approver);
    expect(await refusalShown(res, id, approver)).toContain('approve it there');
    expect((await t.store.get(id))?.workflow.apiApproval).toBeUndefined();
  });

  it('refuses self-approval inline, on the page where it was tried', async () => {
    const submitted = await t.app.inject({ method: 'POST', url: '/v1/resets', headers: t.auth('admin'), payload: { device: { serialNumber: 'ACT-APPROVE-3' }, requestedBy: 'anna@contoso.com' } });
    const id = submitted.json<{ id: string }>().id;
    await walk(t, id, 'checking_eligibility', 'awaiting_approval');
    const res = await postForm(t, `/ops/requests/${id}/approve`, admin);
    expect(await refusalShown(res, id, admin)).toContain('cannot also approve it');
    expect((await t.store.get(id))?.workflow.apiApproval).toBeUndefined();
  });

  it('shows a refusal only to the session that was refused, and only our own words', async () => {
    const id = await submit(t, 'ACT-APPROVE-4');
    await walk(t, id, 'checking_eligibility', 'failed');
    const res = await postForm(t, `/ops/requests/${id}/approve`, approver);
    expect(await refusalShown(res, id, approver)).toBe('The request is already failed.');
    const location = String(res.headers.location);
    const other = await t.app.inject({ method: 'GET', url: location, headers: { cookie: operator.cookie } });
    expect(other.statusCode).toBe(200);
    expect(other.body).not.toContain('id="refusal"');
    const forged = await t.app.inject({ method: 'GET', url: `/ops/requests/${id}?refused=%3Cb%3Eyou%20were%20hacked`, headers: { cookie: approver.cookie } });
    expect(forged.statusCode).toBe(200);
    expect(forged.body).not.toContain('id="refusal"');
    expect(forged.body).not.toContain('hacked');
  });
});

describe('cancel', () => {
  it('needs operate and the CSRF token, then cancels with who and why in the timeline', async () => {
    const id = await submit(t, 'ACT-CANCEL-1');
    expect((await postForm(t, `/ops/requests/${id}/cancel`, approver, { reason: 'x' })).statusCode).toBe(403);
    expect((await postForm(t, `/ops/requests/${id}/cancel`, operator, { reason: 'x' }, null)).statusCode).toBe(403);
    expect(await stateOf(id)).toBe('received');
    const res = await postForm(t, `/ops/requests/${id}/cancel`, operator, { reason: 'user found the passcode' });
    expect(res.statusCode).toBe(303);
    expect(await stateOf(id)).toBe('cancelled');
    expect(await lastEntry(id)).toMatchObject({ actor: TOKEN_NAMES.operator, reason: `cancelled by ${TOKEN_NAMES.operator}: user found the passcode` });
    const again = await postForm(t, `/ops/requests/${id}/cancel`, operator);
    expect(await refusalShown(again, id, operator)).toBe('The request is already cancelled.');
  });

  it('takes an empty reason as none', async () => {
    const id = await submit(t, 'ACT-CANCEL-2');
    expect((await postForm(t, `/ops/requests/${id}/cancel`, operator, { reason: '' })).statusCode).toBe(303);
    expect(await lastEntry(id)).toMatchObject({ reason: `cancelled by ${TOKEN_NAMES.operator}` });
  });
});

describe('retry', () => {
  it('retries a failed request on the same record, keeping its timeline', async () => {
    const id = await submit(t, 'ACT-RETRY-1');
    await walk(t, id, 'checking_eligibility', 'failed');
    expect((await postForm(t, `/ops/requests/${id}/retry`, approver)).statusCode).toBe(403);
    expect((await postForm(t, `/ops/requests/${id}/retry`, operator, {}, null)).statusCode).toBe(403);
    expect(await stateOf(id)).toBe('failed');
    const res = await postForm(t, `/ops/requests/${id}/retry`, operator);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/ops/requests/${id}?done=retry`);
    expect(await stateOf(id)).toBe('checking_eligibility');
    const stored = await t.store.get(id);
    expect(stored?.timeline.map((e) => e.to)).toEqual(['received', 'checking_eligibility', 'failed', 'checking_eligibility']);
    expect(stored?.timeline.at(-1)?.reason).toBe(`retried by ${TOKEN_NAMES.operator} (attempt 2)`);
    expect(await t.queues.reset.getJob(id)).toBeDefined();
  });

  it('refuses to retry a request that has not failed, saying why on its page', async () => {
    const id = await submit(t, 'ACT-RETRY-2');
    const res = await postForm(t, `/ops/requests/${id}/retry`, operator);
    expect(await refusalShown(res, id, operator)).toBe('Only a failed or timed-out request can be retried; this one is received.');
  });

  it('answers a malformed id with 400 and an unknown one with 404, never 500', async () => {
    expect((await postForm(t, '/ops/requests/not-a-uuid/retry', operator)).statusCode).toBe(400);
    const unknown = await postForm(t, '/ops/requests/00000000-0000-4000-8000-00000000000a/retry', operator);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body).toContain('No request with id');
  });
});

describe('retry a notification', () => {
  it('shows an undeliverable notification on the overview and the request page, and an operator sends it again', async () => {
    const id = await submit(t, 'ACT-NOTIFY-1');
    const jobId = await undeliverableNotification(t, id);
    const address = { event: 'failed', channel: 'email' };
    const overview = await t.app.inject({ method: 'GET', url: '/ops', headers: { cookie: operator.cookie } });
    expect(overview.body).toContain('1 notifications could not be delivered');
    expect(overview.body).toContain('SMTP 550 mailbox unavailable');
    const page = await t.app.inject({ method: 'GET', url: `/ops/requests/${id}`, headers: { cookie: operator.cookie } });
    expect(page.body).toContain('<span class="state undeliverable">undeliverable</span>');
    // Addressed as the API addresses it: event and channel (no queue job id in the page).
    expect(page.body).toContain('<input type="hidden" name="event" value="failed"><input type="hidden" name="channel" value="email">');
    expect(page.body).not.toContain(jobId);

    expect((await postForm(t, `/ops/requests/${id}/notifications/retry`, approver, address)).statusCode).toBe(403);
    expect((await postForm(t, `/ops/requests/${id}/notifications/retry`, operator, address, null)).statusCode).toBe(403);
    expect((await postForm(t, `/ops/requests/${id}/notifications/retry`, operator, { event: 'nonsense', channel: 'email' })).statusCode).toBe(400);
    const other = await submit(t, 'ACT-NOTIFY-2');
    expect(await refusalShown(await postForm(t, `/ops/requests/${other}/notifications/retry`, operator, address), other, operator)).toBe('The request has no failed notification on the email channel.');
    expect(await (await t.queues.notify.getJob(jobId))?.getState()).toBe('failed');

    const res = await postForm(t, `/ops/requests/${id}/notifications/retry`, operator, address);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/ops/requests/${id}?done=notification-retry`);
    expect(await (await t.queues.notify.getJob(jobId))?.getState()).toBe('waiting');
    expect(await lastEntry(id)).toMatchObject({ actor: TOKEN_NAMES.operator, reason: `notification failed on the email channel retried by ${TOKEN_NAMES.operator}`, from: 'received', to: 'received' });
    const twice = await postForm(t, `/ops/requests/${id}/notifications/retry`, operator, address);
    expect(await refusalShown(twice, id, operator)).toBe('The failed notification on the email channel is queued or being delivered now.');
  });
});

describe('tenant controls', () => {
  const control = () => new TenantControlStore(t.redis, t.prefix, 3);

  it('pause and resume need admin and the CSRF token, show prominently, and are recorded', async () => {
    expect((await postForm(t, `/ops/tenants/${TENANT}/pause`, operator, { reason: 'incident' })).statusCode).toBe(403);
    expect((await postForm(t, `/ops/tenants/${TENANT}/pause`, admin, { reason: 'incident' }, null)).statusCode).toBe(403);
    expect((await control().settings(TENANT)).paused).toBeNull();

    const paused = await postForm(t, `/ops/tenants/${TENANT}/pause`, admin, { reason: 'Intune incident' });
    expect(paused.statusCode).toBe(303);
    expect(paused.headers.location).toBe('/ops?done=pause');
    expect((await control().settings(TENANT)).paused).toMatchObject({ by: 'admin', reason: 'Intune incident' });
    const overview = (await t.app.inject({ method: 'GET', url: '/ops', headers: { cookie: operator.cookie } })).body;
    expect(overview).toContain(`Submissions are paused for tenant ${TENANT}`);
    expect(overview).toContain('role="alert"');
    expect(overview).toMatch(/<strong>admin<\/strong> paused tenant <code>2f1e3d4c-5b6a-4789-8abc-def012345678<\/code>: Intune incident/);
    expect(overview).toContain('admin only');

    expect((await postForm(t, `/ops/tenants/${TENANT}/resume`, operator)).statusCode).toBe(403);
    expect((await postForm(t, `/ops/tenants/${TENANT}/resume`, admin)).statusCode).toBe(303);
    expect((await control().settings(TENANT)).paused).toBeNull();
    const after = (await t.app.inject({ method: 'GET', url: '/ops', headers: { cookie: admin.cookie } })).body;
    expect(after).not.toContain('Submissions are paused');
    expect(after).toMatch(/<strong>admin<\/strong> resumed tenant/);
    expect(after).toContain(`action="/ops/tenants/${TENANT}/pause"`);
  });

  it('shows a reached blast-radius limit and lets an admin raise it', async () => {
    for (let i = 0; i < 3; i++) await control().admit(TENANT, `00000000-0000-4000-8000-00000000010${String(i)}`);
    const held = (await t.app.inject({ method: 'GET', url: '/ops', headers: { cookie: operator.cookie } })).body;
    expect(held).toContain(`Blast-radius limit reached for tenant ${TENANT}`);
    expect(held).toContain('3 of 3 resets submitted in the last hour');
    expect((await postForm(t, `/ops/tenants/${TENANT}/blast-radius`, operator, { limitPerHour: '10' })).statusCode).toBe(403);
    expect((await postForm(t, `/ops/tenants/${TENANT}/blast-radius`, admin, { limitPerHour: '10' }, null)).statusCode).toBe(403);
    expect((await postForm(t, `/ops/tenants/${TENANT}/blast-radius`, admin, { limitPerHour: '0' })).statusCode).toBe(400);
    const raised = await postForm(t, `/ops/tenants/${TENANT}/blast-radius`, admin, { limitPerHour: '10' });
    expect(raised.statusCode).toBe(303);
    expect((await control().settings(TENANT)).blastRadius).toEqual({ limitPerHour: 10, usedLastHour: 3, overridden: true });
    const after = (await t.app.inject({ method: 'GET', url: '/ops', headers: { cookie: operator.cookie } })).body;
    expect(after).not.toContain('Blast-radius limit reached');
    expect(after).toContain('set the blast-radius limit of tenant');
  });

  it('records a pause, resume and limit made through the API in the same tenant action log, with the caller', async () => {
    const api = (path: string, payload?: Record<string, unknown>) => t.app.inject({ method: path.endsWith('blast-radius') ? 'PUT' : 'POST', url: `/v1/tenants/${TENANT}/${path}`, headers: t.auth('admin'), ...(payload === undefined ? {} : { payload }) });
    expect((await api('pause', { reason: 'Graph incident 42' })).statusCode).toBe(200);
    expect((await api('resume')).statusCode).toBe(200);
    expect((await api('blast-radius', { limitPerHour: 25 })).statusCode).toBe(200);
    const overview = (await t.app.inject({ method: 'GET', url: '/ops', headers: { cookie: operator.cookie } })).body;
    // The API token is named `admin`, like the dashboard session of the test above: each line names who acted.
    expect(overview).toMatch(new RegExp(`<strong>${TOKEN_NAMES.admin}</strong> paused tenant <code>${TENANT}</code>: Graph incident 42`));
    expect(overview).toMatch(new RegExp(`<strong>${TOKEN_NAMES.admin}</strong> resumed tenant <code>${TENANT}</code>`));
    expect(overview).toMatch(new RegExp(`<strong>${TOKEN_NAMES.admin}</strong> set the blast-radius limit of tenant <code>${TENANT}</code>: 25 per hour`));
  });

  it('adds a tenant to the overview (admin, CSRF) and rejects a malformed tenant id', async () => {
    const other = '99999999-aaaa-4bbb-8ccc-dddddddddddd';
    expect((await postForm(t, '/ops/tenants', operator, { tenantId: other })).statusCode).toBe(403);
    expect((await postForm(t, '/ops/tenants', admin, { tenantId: 'not a guid' })).statusCode).toBe(400);
    expect((await postForm(t, `/ops/tenants/not-a-guid/pause`, admin)).statusCode).toBe(400);
    expect((await postForm(t, '/ops/tenants', admin, { tenantId: other })).statusCode).toBe(303);
    expect((await t.app.inject({ method: 'GET', url: '/ops', headers: { cookie: operator.cookie } })).body).toContain(`<code>${other}</code>`);
  });
});
