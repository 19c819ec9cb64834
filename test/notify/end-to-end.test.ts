import { FIXTURE_DEVICES, SANDBOX_CANARY_PASSCODE_PREFIX } from '@resetpc/sandbox';
import { SN_FIXTURE } from '@resetpc/sandbox/servicenow';
import { DeliveryLedger } from '../../src/notify/ledger';
import { WorkflowStore } from '../../src/store/workflow-store';
import { wakeJob } from '../../src/queue/queues';
import { JIRA_SECRET, SERVICENOW_SECRET } from '../support/intake';
import { waitFor } from '../support/env';
import { startWorkflowHarness, type WorkflowHarness } from '../support/workflow';

/**
 * Done when: a Jira-triggered and a ServiceNow-triggered request each leave the right note, state and email, for
 * success and for each failure kind, through the whole product (signed webhooks, the intake, the reset and notify
 * workers) against the sandbox, with the default notification settings a new user starts with.
 */
type Outcome = 'succeeded' | 'ineligible' | 'rejected' | 'expired' | 'failed' | 'timed_out' | 'cancelled';
const OUTCOMES: readonly Outcome[] = ['succeeded', 'ineligible', 'rejected', 'expired', 'failed', 'timed_out', 'cancelled'];

describe('notifications end to end', () => {
  let h: WorkflowHarness;
  let ledger: DeliveryLedger;
  let serial = 0;

  beforeAll(async () => {
    h = await startWorkflowHarness('notify-e2e', { NOTIFY_BACKOFF_BASE_MS: '50', NOTIFY_BACKOFF_MAX_MS: '500' }, { smtp: true });
    ledger = new DeliveryLedger(h.intake.redis, h.intake.prefix);
  });

  afterAll(async () => {
    await h.close();
  });

  /** A device of this test's own (a copy of a fixture), scripted to end as `outcome` asks. */
  function device(outcome: Outcome): { id: string; serial: string; name: string } {
    serial += 1;
    const template = outcome === 'ineligible' ? FIXTURE_DEVICES.windowsDesktop : FIXTURE_DEVICES.androidFullyManaged;
    const seed = h.sandbox.control.device(template)?.device;
    if (seed === undefined) throw new Error('fixture device missing');
    const id = `e5000000-0000-4000-8000-${String(serial).padStart(12, '0')}`;
    const copy = { ...seed, id, deviceName: `${outcome === 'ineligible' ? 'DESKTOP' : 'AE'}-E2E-${serial}`, serialNumber: `SBXE2E${serial}` };
    const script = outcome === 'failed' ? { outcome: 'failed' as const, activeAfterMs: 10, finalAfterMs: 40, errorCode: 1 } : outcome === 'timed_out' ? { outcome: 'done' as const, activeAfterMs: 10, finalAfterMs: 3_600_000 } : { outcome: 'done' as const, activeAfterMs: 10, finalAfterMs: 40 };
    h.sandbox.control.upsertDevice({ device: copy, resetScript: script });
    return { id, serial: copy.serialNumber, name: copy.deviceName };
  }

  /** Waits until the event's notifications, and the awaiting-approval note before them (when there was one), are delivered. */
  async function notified(id: string, event: string): Promise<void> {
    const ids = [`${id}|${event}|ticket`, `${id}|${event}|email`];
    const stored = await h.intake.store.get(id);
    if (stored?.timeline.some((t) => t.to === 'awaiting_approval')) ids.push(`${id}|awaiting_approval|ticket`);
    for (const each of ids) {
      await waitFor(async () => (await ledger.get(each))?.state === 'delivered', 20_000, `${each} to be delivered`);
    }
  }

  const QUALIFIES = 'The device qualifies for a passcode reset.';

  /** Drives a request that waits for approval to `outcome` through its ticketing system or the API. */
  async function finish(id: string, outcome: Outcome, decide: (approved: boolean) => void): Promise<void> {
    if (outcome === 'ineligible') return h.until(id, 'ineligible');
    await h.until(id, 'awaiting_approval');
    if (outcome === 'rejected') decide(false);
    else if (outcome === 'expired') await h.pastDeadline(id, 'approvalDeadline', 'expired');
    else if (outcome === 'cancelled') {
      const res = await h.intake.app.inject({ method: 'POST', url: `/v1/resets/${id}/cancel`, headers: h.intake.auth('operator'), payload: { reason: 'the user found the passcode' } });
      expect(res.statusCode).toBe(200);
    } else decide(true);
    if (outcome === 'timed_out') {
      await h.until(id, 'awaiting_device');
      await h.pastDeadline(id, 'submittedAt', 'timed_out');
    }
    await h.until(id, outcome, 20_000);
  }

  function expectEmail(ticketKey: string, deviceName: string, outcome: Outcome, id: string): void {
    const mail = h.sandbox.smtp?.messages.find((m) => m.subject.includes(`[${ticketKey}]`) && m.text?.includes(id) === true && m.subject.includes(deviceName));
    expect(mail).toBeDefined();
    expect(mail?.to).toEqual(['anna@contoso.com']);
    expect(mail?.from).toContain('resetpc@sandbox.invalid');
    expect(mail?.html).toContain(id);
    if (outcome === 'succeeded') {
      expect(mail?.text).toMatch(/shown for 7 days, until \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
      expect(mail?.text).toContain('Verify the caller');
    } else {
      expect(mail?.text).toMatch(/Reason: .+\(/);
      expect(mail?.text).toContain(`/ops/requests/${id}`);
      expect(mail?.text).toContain('https://learn.microsoft.com/');
    }
  }

  it.each(OUTCOMES)('a ServiceNow incident ending %s gets the note, state and email', async (outcome) => {
    const d = device(outcome);
    const record = h.sandbox.servicenow.control.addIncident({ requester: SN_FIXTURE.users.requester.user_name, u_device_serial: d.serial, short_description: 'Phone locked' });
    const delivery = await h.sandbox.servicenow.control.sendWebhook(record.number ?? '', { intakeUrl: `${h.intakeUrl}/v1/webhooks/servicenow`, secret: SERVICENOW_SECRET });
    expect(delivery.status).toBe(202);
    const id = (await h.intake.store.list({ ticket: record.number ?? '' }, 1)).items[0]?.id ?? '';
    await finish(id, outcome, (approved) => {
      h.sandbox.servicenow.control.addApproval({ task: record.sys_id, approver: SN_FIXTURE.users.approver.user_name, state: approved ? 'approved' : 'rejected' });
    });
    await notified(id, outcome);
    const notes = h.sandbox.servicenow.control.journal(record.sys_id, 'work_notes').map((n) => n.value);
    // awaiting_approval's note (the device qualified), and the outcome's.
    expect(notes).toHaveLength(outcome === 'ineligible' ? 1 : 2);
    expect(notes.filter((n) => n.startsWith(QUALIFIES))).toHaveLength(outcome === 'ineligible' ? 0 : 1);
    const last = notes.find((n) => !n.startsWith(QUALIFIES)) ?? '';
    expect(last).toContain(d.name);
    expect(last).toContain(`ServiceNow ${record.number ?? ''}`);
    const incident = h.sandbox.servicenow.control.record('incident', record.sys_id);
    if (outcome === 'succeeded') {
      expect(last).toContain('Verify the caller');
      expect(incident).toMatchObject({ state: '6', close_code: 'Solved Remotely (Permanently)' });
    } else {
      expect(last).toMatch(/Failure details:/);
      expect(incident?.state).toBe('1');
    }
    expectEmail(record.number ?? '', d.name, outcome, id);
    expect(h.sandbox.control.resetPasscodeCount(d.id)).toBe(['succeeded', 'failed', 'timed_out'].includes(outcome) ? 1 : 0);
  });

  it.each(OUTCOMES)('a Jira request ending %s gets the comment, transition and email', async (outcome) => {
    const d = device(outcome);
    const issue = h.sandbox.jira.control.addIssue({ projectKey: 'HD', summary: 'Phone locked', reporter: 'anna@contoso.com', device: d.serial, requestType: { id: '12', name: 'Reset device passcode' }, approvals: [{ name: 'Manager', approvers: ['ben.manager@contoso.com'] }] });
    const sent = await h.sandbox.jira.control.sendIssueWebhook(issue.key, 'jira:issue_created', { intakeUrl: `${h.intakeUrl}/v1/webhooks/jira`, secret: JIRA_SECRET, maxAttempts: 1 });
    expect(sent.finalStatus).toBe(202);
    const id = (await h.intake.store.list({ ticket: issue.key }, 1)).items[0]?.id ?? '';
    await finish(id, outcome, (approved) => {
      h.sandbox.jira.control.setApprovalDecision(issue.key, approved ? 'approved' : 'declined');
    });
    await notified(id, outcome);
    const comments = h.sandbox.jira.control.issue(issue.key)?.comments ?? [];
    expect(comments).toHaveLength(outcome === 'ineligible' ? 1 : 2);
    expect(comments.every((c) => c.via === 'servicedesk' && !c.public)).toBe(true);
    // As Jira shows the wiki markup: a backslash before a markup character (escaped in values) is not shown.
    const last = comments.map((c) => String(c.body).replace(/\\([-#*_+?^~|%{}[\]()!@])/g, '$1')).find((b) => !b.startsWith(QUALIFIES)) ?? '';
    expect(last).toContain(d.name);
    expect(last).toContain(`Jira ${issue.key}`);
    expect(h.sandbox.jira.control.issue(issue.key)?.status.name).toBe(outcome === 'succeeded' ? 'Resolved' : 'Waiting for support');
    if (outcome !== 'succeeded') expect(last).toMatch(/Failure details:/);
    expectEmail(issue.key, d.name, outcome, id);
    expect(h.sandbox.control.resetPasscodeCount(d.id)).toBe(['succeeded', 'failed', 'timed_out'].includes(outcome) ? 1 : 0);
  });

  it('delivers once after ServiceNow and Jira were down, and never repeats the reset', async () => {
    const sn = device('succeeded');
    const jiraDevice = device('succeeded');
    const record = h.sandbox.servicenow.control.addIncident({ requester: SN_FIXTURE.users.requester.user_name, u_device_serial: sn.serial, short_description: 'Phone locked' });
    const issue = h.sandbox.jira.control.addIssue({ projectKey: 'HD', summary: 'Tablet locked', reporter: 'anna@contoso.com', device: jiraDevice.serial, requestType: { id: '12', name: 'Reset device passcode' }, approvals: [{ name: 'Manager', approvers: ['ben.manager@contoso.com'] }] });
    // Writes fail for a while: five answers each, then the systems are back.
    const outage = Array.from({ length: 5 }, () => ({ kind: 'status' as const, status: 503 as const }));
    const snRule = h.sandbox.servicenow.control.injectFault({ method: 'PATCH', path: `/api/now/table/incident/${record.sys_id}`, sequence: outage });
    const jiraRule = h.sandbox.jira.control.injectFault({ method: 'POST', path: `/rest/servicedeskapi/request/${issue.key}/comment`, sequence: outage });
    await h.sandbox.servicenow.control.sendWebhook(record.number ?? '', { intakeUrl: `${h.intakeUrl}/v1/webhooks/servicenow`, secret: SERVICENOW_SECRET });
    await h.sandbox.jira.control.sendIssueWebhook(issue.key, 'jira:issue_created', { intakeUrl: `${h.intakeUrl}/v1/webhooks/jira`, secret: JIRA_SECRET, maxAttempts: 1 });
    const snId = (await h.intake.store.list({ ticket: record.number ?? '' }, 1)).items[0]?.id ?? '';
    const jiraId = (await h.intake.store.list({ ticket: issue.key }, 1)).items[0]?.id ?? '';
    await h.until(snId, 'awaiting_approval');
    h.sandbox.servicenow.control.addApproval({ task: record.sys_id, approver: SN_FIXTURE.users.approver.user_name, state: 'approved' });
    await h.until(jiraId, 'awaiting_approval');
    h.sandbox.jira.control.setApprovalDecision(issue.key, 'approved');
    await h.until(snId, 'succeeded', 20_000);
    await h.until(jiraId, 'succeeded', 20_000);
    await notified(snId, 'succeeded');
    await notified(jiraId, 'succeeded');
    h.sandbox.servicenow.control.faults.remove(snRule);
    h.sandbox.jira.control.faults.remove(jiraRule);
    // The outage was real: every one of the five refusals was met, and the notes were written after it.
    expect(h.sandbox.servicenow.control.calls.filter((c) => c.path === `/api/now/table/incident/${record.sys_id}` && c.status === 503)).toHaveLength(5);
    expect(h.sandbox.jira.control.requests.filter((r) => r.path === `/rest/servicedeskapi/request/${issue.key}/comment` && r.outcome === 503)).toHaveLength(5);
    expect(h.sandbox.servicenow.control.journal(record.sys_id, 'work_notes').map((n) => n.value.split('\n')[0]).sort()).toEqual([
      'The device qualifies for a passcode reset. The reset waits for approval.',
      'The passcode of the device was reset.',
    ]);
    expect(h.sandbox.jira.control.issue(issue.key)?.comments).toHaveLength(2);
    expect(h.sandbox.jira.control.issue(issue.key)?.status.name).toBe('Resolved');
    expect(h.sandbox.control.resetPasscodeCount(sn.id)).toBe(1);
    expect(h.sandbox.control.resetPasscodeCount(jiraDevice.id)).toBe(1);
  });

  it('tells a second ticket for the same device that it was linked to the active request, and nothing more', async () => {
    const d = device('succeeded');
    const record = h.sandbox.servicenow.control.addIncident({ requester: SN_FIXTURE.users.requester.user_name, u_device_serial: d.serial, short_description: 'Phone locked' });
    await h.sandbox.servicenow.control.sendWebhook(record.number ?? '', { intakeUrl: `${h.intakeUrl}/v1/webhooks/servicenow`, secret: SERVICENOW_SECRET });
    const id = (await h.intake.store.list({ ticket: record.number ?? '' }, 1)).items[0]?.id ?? '';
    await h.until(id, 'awaiting_approval');
    const issue = h.sandbox.jira.control.addIssue({ projectKey: 'HD', summary: 'Same phone', reporter: 'anna@contoso.com', device: d.serial, requestType: { id: '12', name: 'Reset device passcode' } });
    const sent = await h.sandbox.jira.control.sendIssueWebhook(issue.key, 'jira:issue_created', { intakeUrl: `${h.intakeUrl}/v1/webhooks/jira`, secret: JIRA_SECRET, maxAttempts: 1 });
    // 200: linked to the active request, no new one.
    expect(sent.finalStatus).toBe(200);
    const noteId = `${id}|linked_to_active_request|ticket|jira|${issue.key}`;
    await waitFor(async () => (await ledger.get(noteId))?.state === 'delivered', 20_000, 'the linked note');
    const comments = h.sandbox.jira.control.issue(issue.key)?.comments ?? [];
    expect(comments).toHaveLength(1);
    expect(String(comments[0]?.body)).toContain(`Asked again by: Jira ${issue.key}`);
    expect(String(comments[0]?.body)).toContain(`Ticket: ServiceNow ${record.number ?? ''}`);
    h.sandbox.servicenow.control.addApproval({ task: record.sys_id, approver: SN_FIXTURE.users.approver.user_name, state: 'approved' });
    await h.until(id, 'succeeded', 20_000);
    await notified(id, 'succeeded');
    // The outcome goes to the request's own ticket; the linked issue keeps its one note and its status.
    expect(h.sandbox.jira.control.issue(issue.key)?.comments).toHaveLength(1);
    expect(h.sandbox.jira.control.issue(issue.key)?.status.name).toBe('Waiting for support');
    expect(h.sandbox.control.resetPasscodeCount(d.id)).toBe(1);
  });

  it('announces the outcome of a request again after an operator retried it', async () => {
    const d = device('failed');
    const res = await h.intake.app.inject({ method: 'POST', url: '/v1/resets', headers: h.intake.auth('submitter'), payload: { device: { id: d.id }, requestedBy: 'anna@contoso.com' } });
    const { id } = res.json<{ id: string }>();
    const approveAndFail = async (): Promise<void> => {
      await h.until(id, 'awaiting_approval');
      expect((await h.intake.app.inject({ method: 'POST', url: `/v1/resets/${id}/approve`, headers: h.intake.auth('approver') })).statusCode).toBe(200);
      await h.until(id, 'failed', 20_000);
    };
    await approveAndFail();
    await waitFor(async () => (await ledger.get(`${id}|failed|email`))?.state === 'delivered', 20_000, 'the first failure email');
    expect((await h.intake.app.inject({ method: 'POST', url: `/v1/resets/${id}/retry`, headers: h.intake.auth('operator') })).statusCode).toBe(200);
    await approveAndFail();
    await waitFor(async () => (await ledger.get(`${id}|failed|email|a2`))?.state === 'delivered', 20_000, 'the second failure email');
    expect(h.sandbox.smtp?.messages.filter((m) => m.text?.includes(id) === true && m.subject.includes(d.name))).toHaveLength(2);
    const listed = await h.intake.app.inject({ method: 'GET', url: `/v1/resets/${id}/notifications`, headers: h.intake.auth('operator') });
    expect(listed.json<{ items: { id: string; requestAttempt?: number }[] }>().items.filter((n) => n.id.startsWith(`${id}|failed|email`)).map((n) => n.requestAttempt ?? 1).sort()).toEqual([1, 2]);
  });

  it('still announces an outcome when the worker that moved the request died before queueing its notifications', async () => {
    const d = device('succeeded');
    const res = await h.intake.app.inject({ method: 'POST', url: '/v1/resets', headers: h.intake.auth('submitter'), payload: { device: { id: d.id }, requestedBy: 'anna@contoso.com' } });
    const { id } = res.json<{ id: string }>();
    await h.until(id, 'awaiting_approval');
    // What a worker killed right after its move leaves: the request rejected, no notification queued.
    const workflow = new WorkflowStore(h.intake.redis, h.intake.store);
    const stored = await workflow.load(id);
    if (stored === undefined) throw new Error('the request is missing');
    expect(await workflow.transition(stored.request, 'rejected', { actor: 'worker', reason: 'declined' }, { ...stored.workflow, outcomeReason: 'rejected' })).toBe(true);
    expect(await h.intake.queues.notify.getJob(`${id}|rejected|email`)).toBeUndefined();
    // Its job runs again (as a stalled job would): the re-run sees the final state and queues what was missing.
    await wakeJob(h.intake.queues, id);
    await waitFor(async () => (await ledger.get(`${id}|rejected|email`))?.state === 'delivered', 20_000, 'the rejection email');
  });

  it('never lets the canary passcode or a secret reach a ticket, an email or a log', () => {
    const written = JSON.stringify([h.sandbox.servicenow.control.writes, h.sandbox.jira.control.writes, h.sandbox.smtp?.messages]);
    expect(written.length).toBeGreaterThan(10_000);
    for (const text of [written, h.workerLogs.join('\n'), h.intake.rawLogs.join('\n')]) {
      expect(text).not.toContain(SANDBOX_CANARY_PASSCODE_PREFIX);
      expect(text).not.toContain(h.sandbox.clientSecret);
      expect(text).not.toContain(h.sandbox.servicenow.credentials.basic.password);
    }
  });
});
