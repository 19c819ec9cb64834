import { FIXTURE_DEVICES } from '@resetpc/sandbox';
import { SN_FIXTURE } from '@resetpc/sandbox/servicenow';
import { SERVICENOW_SECRET } from '../support/intake';
import { signIn } from '../ops/session';
import { startWorkflowHarness, type WorkflowHarness } from '../support/workflow';
import { waitFor } from '../support/env';

/**
 * A reset the device reports as failed, with its `errorCode` (issue 11, section 2): documented on v1.0 and beta
 * (learn.microsoft.com/graph/api/resources/intune-devices-resetpasscodeactionresult), its values unpublished. The one
 * documented cause of a failed reset is a missing passcode policy (Learn, "Reset or remove a device passcode";
 * MicrosoftDocs/memdocs#4082). Operators read the code, what it means and what to do next, in the timeline, the API,
 * the dashboard, the ticket and the email.
 */
describe('a failed reset explains its error code', () => {
  let h: WorkflowHarness;

  beforeAll(async () => {
    h = await startWorkflowHarness('actionerr', { NOTIFY_BACKOFF_BASE_MS: '50' }, { smtp: true });
  }, 30_000);

  afterAll(async () => {
    await h.close();
  });

  it('tells the code, the missing passcode policy and the next step everywhere an operator looks', async () => {
    const device = FIXTURE_DEVICES.androidNoPasscodePolicy;
    const serial = h.sandbox.control.device(device)?.device.serialNumber ?? '';
    h.sandbox.control.scriptAction(device, { outcome: 'failed', activeAfterMs: 10, finalAfterMs: 40, errorCode: 4242 });
    const incident = h.sandbox.servicenow.control.addIncident({ requester: SN_FIXTURE.users.requester.user_name, u_device_serial: serial, short_description: 'Phone locked' });
    h.sandbox.servicenow.control.addApproval({ task: incident.sys_id, approver: SN_FIXTURE.users.approver.user_name, state: 'approved' });
    const delivery = await h.sandbox.servicenow.control.sendWebhook(incident.number ?? '', { intakeUrl: `${h.intakeUrl}/v1/webhooks/servicenow`, secret: SERVICENOW_SECRET });
    expect(delivery.status).toBe(202);
    const id = (await h.intake.store.list({ ticket: incident.number ?? '' }, 1)).items[0]?.id ?? '';
    await h.until(id, 'failed', 20_000);
    const expected = [/Intune error code 4242/, /no passcode policy is assigned/, /Next: Assign a passcode policy/];

    const stored = await h.intake.store.get(id);
    expect(stored?.workflow).toMatchObject({ outcomeReason: 'action_failed', actionErrorCode: 4242 });
    for (const e of expected) expect(stored?.timeline.at(-1)?.reason).toMatch(e);

    const api = await h.intake.app.inject({ method: 'GET', url: `/v1/resets/${id}`, headers: h.intake.auth('operator') });
    expect(api.json()).toMatchObject({ state: 'failed', progress: { actionErrorCode: 4242, outcomeReason: 'action_failed' } });

    const login = await signIn(h.intake, 'operator');
    const page = await h.intake.app.inject({ method: 'GET', url: `/ops/requests/${id}`, headers: { cookie: login.cookie } });
    expect(page.body).toContain('Intune error code');
    expect(page.body).toMatch(/4242: The device could not set a new passcode/);

    await waitFor(() => h.sandbox.servicenow.control.journal(incident.sys_id).length > 0, 10_000, 'the work note');
    const note = h.sandbox.servicenow.control.journal(incident.sys_id).map((j) => j.value).join('\n');
    for (const e of expected) expect(note).toMatch(e);

    await waitFor(() => (h.sandbox.smtp?.messages ?? []).some((m) => m.text?.includes(id) === true), 10_000, 'the email');
    const mail = h.sandbox.smtp?.messages.find((m) => m.text?.includes(id) === true);
    for (const e of expected) expect(mail?.text?.replace(/\s+/g, ' ')).toMatch(e);
  });
});
