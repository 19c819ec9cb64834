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
  it('records the approver, named by the token, in the timeline', async () => {
    const id = await submit('ACT-SN-1');
    const res = await t.app.inject({ method: 'POST', url: `/v1/resets/${id}/approve`, headers: t.auth('approver') });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id, state: 'received' });
    const stored = await t.store.get(id);
    expect(stored?.workflow.apiApproval?.by).toBe(TOKEN_NAMES.approver);
    expect(stored?.timeline.at(-1)).toMatchObject({ actor: TOKEN_NAMES.approver, reason: `approved by ${TOKEN_NAMES.approver}`, from: 'received', to: 'received' });
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
