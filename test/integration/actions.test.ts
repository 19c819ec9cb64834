import { JIRA_SECRET, SERVICENOW_SECRET, TOKEN_NAMES, createTestIntake, type TestIntake } from '../support/intake';
import { submitFromTicket } from '../support/webhooks';

let t: TestIntake;

beforeAll(async () => {
  t = await createTestIntake('actions', { RATE_LIMIT_MAX: '1000' });
});

afterAll(async () => {
  await t.close();
});

async function submit(serial: string, requestedBy = 'anna@contoso.com', extra: Record<string, unknown> = {}): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/resets', headers: t.auth('submitter'), payload: { device: { serialNumber: serial }, requestedBy, ...extra } });
  expect(res.statusCode).toBe(202);
  return res.json<{ id: string }>().id;
}

describe('POST /v1/resets/{id}/approve', () => {
  it('answers what happened: the approval recorded, by whom, and the state it leads to', async () => {
    const id = await submit('ACT-SN-1');
    const res = await t.app.inject({ method: 'POST', url: `/v1/resets/${id}/approve`, headers: t.auth('approver') });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id, result: 'approval_recorded', approvedBy: TOKEN_NAMES.approver, state: 'received', next: 'approved' });
    const stored = await t.store.get(id);
    expect(stored?.workflow.apiApproval?.by).toBe(TOKEN_NAMES.approver);
    // Stored as an event: `from` and `to` name the state it stayed in, so readers of moves (metrics, notifications) pass over it.
    expect(stored?.timeline.at(-1)).toMatchObject({ event: 'approval_recorded', actor: TOKEN_NAMES.approver, reason: `approved by ${TOKEN_NAMES.approver}`, from: 'received', to: 'received' });
  });

  it('shows the approval in the API timeline as an event, not as a move to the same state', async () => {
    const id = await submit('ACT-SN-EVENT');
    await t.app.inject({ method: 'POST', url: `/v1/resets/${id}/approve`, headers: t.auth('approver') });
    const shown = await t.app.inject({ method: 'GET', url: `/v1/resets/${id}`, headers: t.auth('operator') });
    expect(shown.statusCode).toBe(200);
    const timeline = shown.json<{ timeline: Record<string, unknown>[] }>().timeline;
    expect(timeline[0]).toMatchObject({ from: null, to: 'received', actor: TOKEN_NAMES.submitter });
    const approval = timeline.at(-1);
    expect(approval).toEqual({ at: expect.any(String), event: 'approval_recorded', state: 'received', actor: TOKEN_NAMES.approver, reason: `approved by ${TOKEN_NAMES.approver}` });
    expect(approval).not.toHaveProperty('from');
    expect(approval).not.toHaveProperty('to');
  });

  it('answers already_approved to a second approval, with the first approver, and records nothing more', async () => {
    const id = await submit('ACT-SN-TWICE');
    await t.app.inject({ method: 'POST', url: `/v1/resets/${id}/approve`, headers: t.auth('approver') });
    const entries = (await t.store.get(id))?.timeline.length;
    const again = await t.app.inject({ method: 'POST', url: `/v1/resets/${id}/approve`, headers: t.auth('admin') });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ id, result: 'already_approved', approvedBy: TOKEN_NAMES.approver, state: 'received', next: 'approved' });
    expect((await t.store.get(id))?.timeline.length).toBe(entries);
  });

  it('documents the answer in the OpenAPI response schema', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema: { properties: Record<string, unknown>; required?: string[] } }> }> }>> }>();
    const schema = doc.paths['/v1/resets/{id}/approve']?.post?.responses['200']?.content['application/json']?.schema;
    expect(Object.keys(schema?.properties ?? {})).toEqual(['id', 'result', 'approvedBy', 'state', 'next']);
    expect(schema?.required).toEqual(['id', 'result', 'approvedBy', 'state']);
    expect(JSON.stringify(schema?.properties.result)).toContain('approval_recorded');
  });

  it('refuses self-approval with 403 and the reason', async () => {
    const own = await submit('ACT-SN-3', 'MIA.approver@contoso.com');
    const self = await t.app.inject({ method: 'POST', url: `/v1/resets/${own}/approve`, headers: t.auth('approver') });
    expect(self.statusCode).toBe(403);
    expect(self.json()).toEqual({ error: { code: 'self_approval', message: 'The requester cannot approve their own request' } });
    expect((await t.store.get(own))?.workflow.apiApproval).toBeUndefined();
  });

  it('refuses approval by the caller who submitted the request, whatever requestedBy says', async () => {
    // An admin token holds every role: it may submit and approve, but not both for one request.
    const res = await t.app.inject({ method: 'POST', url: '/v1/resets', headers: t.auth('admin'), payload: { device: { serialNumber: 'ACT-SN-SELF' }, requestedBy: 'bob@contoso.com' } });
    const { id } = res.json<{ id: string }>();
    const self = await t.app.inject({ method: 'POST', url: `/v1/resets/${id}/approve`, headers: t.auth('admin') });
    expect(self.statusCode).toBe(403);
    expect(self.json()).toMatchObject({ error: { code: 'self_approval' } });
    expect((await t.store.get(id))?.workflow.apiApproval).toBeUndefined();
    expect((await t.app.inject({ method: 'POST', url: `/v1/resets/${id}/approve`, headers: t.auth('approver') })).statusCode).toBe(200);
  });

  it('sends ticket approvals to the ticket', async () => {
    const id = await submitFromTicket(t.app, { jira: JIRA_SECRET, servicenow: SERVICENOW_SECRET }, { system: 'jira', key: 'HD-400' }, 'ACT-SN-4');
    const res = await t.app.inject({ method: 'POST', url: `/v1/resets/${id}/approve`, headers: t.auth('approver') });
    expect(res.statusCode).toBe(409);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('approval_in_ticket');
  });

  it('needs the approve role', async () => {
    const id = await submit('ACT-SN-5');
    expect((await t.app.inject({ method: 'POST', url: `/v1/resets/${id}/approve`, headers: t.auth('submitter') })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: `/v1/resets/${id}/approve`, headers: t.auth('operator') })).statusCode).toBe(403);
  });

  it('answers 404 for an unknown request', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/resets/00000000-0000-4000-8000-000000000001/approve', headers: t.auth('approver') });
    expect(res.statusCode).toBe(404);
  });
});

describe('POST /v1/resets/{id}/cancel', () => {
  it('cancels, records who and why, queues the notification, and frees the device', async () => {
    const id = await submit('ACT-SN-6');
    const res = await t.app.inject({ method: 'POST', url: `/v1/resets/${id}/cancel`, headers: t.auth('operator'), payload: { reason: 'caller found the passcode' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id, state: 'cancelled' });
    const stored = await t.store.get(id);
    expect(stored?.request.state).toBe('cancelled');
    expect(stored?.timeline.at(-1)).toMatchObject({ from: 'received', to: 'cancelled', actor: 'operator', reason: 'cancelled by operator: caller found the passcode' });
    expect(await t.queues.notify.getJob(`${id}|cancelled|email`)).toBeDefined();
    expect((await t.store.list({ state: 'cancelled' }, 10)).items.map((r) => r.id)).toContain(id);
    await submit('ACT-SN-6');
  });

  it('refuses to cancel a final request, and needs the operate role', async () => {
    const id = await submit('ACT-SN-7');
    expect((await t.app.inject({ method: 'POST', url: `/v1/resets/${id}/cancel`, headers: t.auth('submitter') })).statusCode).toBe(403);
    await t.app.inject({ method: 'POST', url: `/v1/resets/${id}/cancel`, headers: t.auth('admin') });
    const again = await t.app.inject({ method: 'POST', url: `/v1/resets/${id}/cancel`, headers: t.auth('admin') });
    expect(again.statusCode).toBe(409);
    expect(again.json<{ error: { code: string } }>().error.code).toBe('request_final');
  });
});
