import { FIXTURE_DEVICES } from '@resetpc/sandbox';
import { SN_FIXTURE } from '@resetpc/sandbox/servicenow';
import { REASON_LINKS } from '../../src/domain/reasons';
import { DeliveryLedger } from '../../src/notify/ledger';
import { waitFor } from '../support/env';
import { JIRA_SECRET, SERVICENOW_SECRET } from '../support/intake';
import { startWorkflowHarness, type WorkflowHarness } from '../support/workflow';

/**
 * Issue 12: "An unexpected error marks the request failed (`internal_error`) and stops retrying", seen the way a user
 * sees it: a ServiceNow ticket's webhook, the real intake and workers, the sandbox's Graph, ServiceNow and mailbox.
 *
 * The unexpected error: Graph answers the device lookup `200 OK` with a body that is not JSON, and the Graph client
 * throws while reading it. Graph really can: its answers are OData JSON streamed as they are written
 * (`odata.streaming=true`), and OData says that a service that fails after it sent a success status "MUST generate an
 * error within the payload, which may leave the response malformed. Clients MUST treat the entire response as being in
 * error" (OData Version 4.0 Part 1: Protocol, 9.4 "In-Stream Errors"; MS-ODATA 2.2.8.1). The sandbox serves such a
 * body with a `body` fault (docs/sandbox.md).
 *
 * Every other answer of an unexpected shape was looked for and does not get this far: the gateway maps Graph's objects
 * field by field (a property of another JSON type, or an action result that is not an object, counts as absent), the
 * ServiceNow and Jira clients parse with schemas (a wrong shape is their permanent `invalid_response`), and anything
 * thrown while a Graph call is made becomes a GraphError. This unreadable success answer is where an unexpected error
 * still reaches a reset step.
 */
describe('an unexpected error in a reset step', () => {
  let h: WorkflowHarness;

  beforeAll(async () => {
    h = await startWorkflowHarness('internal', {}, { smtp: true });
  }, 30_000);

  afterAll(async () => {
    await h.close();
  });

  /** The device lookup's page, cut off where an in-stream error would leave it. */
  const CUT_SHORT = '{"@odata.context":"https://graph.microsoft.com/beta/$metadata#deviceManagement/managedDevices","@odata.count":1,"value":[{"id":"d0000000-0000-4000-8000-0000000000';

  it('ends the request failed with internal_error at once, says so in the timeline, the ticket, the email and the worker log, and leaks nothing', async () => {
    const device = h.sandbox.control.device(FIXTURE_DEVICES.androidFullyManaged)?.device;
    const incident = h.sandbox.servicenow.control.addIncident({ requester: SN_FIXTURE.users.requester.user_name, u_device_serial: device?.serialNumber ?? '', short_description: 'Locked out of the phone' });
    const lookups = (): number => h.sandbox.control.calls.filter((c) => c.method === 'GET' && c.path === '/beta/deviceManagement/managedDevices').length;
    h.sandbox.control.injectFault({ method: 'GET', path: '/beta/deviceManagement/managedDevices', fault: { kind: 'body', text: CUT_SHORT } });
    try {
      const started = Date.now();
      const delivery = await h.sandbox.servicenow.control.sendWebhook(incident.number ?? '', { intakeUrl: `${h.intakeUrl}/v1/webhooks/servicenow`, secret: SERVICENOW_SECRET });
      expect(delivery.status).toBe(202);
      const id = (await h.intake.store.list({ ticket: incident.number ?? '' }, 1)).items[0]?.id ?? '';
      await h.until(id, 'failed', 15_000);
      // At once: not after the ~30 minutes of backoff a transient error gets (the first retry alone waits 0.5-1 s).
      expect(Date.now() - started).toBeLessThan(10_000);

      // What the API shows: the reason, its link, and the timeline's last word.
      const res = await h.intake.app.inject({ method: 'GET', url: `/v1/resets/${id}`, headers: h.intake.auth('operator') });
      const body = res.json<{ state: string; progress: { outcomeReason?: string }; links: { failureDetails?: string }; timeline: { from: string | null; to: string; reason: string }[] }>();
      expect(body).toMatchObject({ state: 'failed', progress: { outcomeReason: 'internal_error' }, links: { failureDetails: REASON_LINKS.internal_error } });
      expect(body.timeline.at(-1)).toMatchObject({ from: 'checking_eligibility', to: 'failed', reason: expect.stringMatching(/unexpected error stopped the request; nothing more will be tried/) as unknown });

      // Stopped retrying: the job completes (nothing delayed, no failed attempt to retry), and Graph saw one lookup and
      // no reset.
      await waitFor(async () => (await h.intake.queues.reset.getJobState(id)) === 'completed', 10_000, 'the reset job to complete');
      const job = await h.intake.queues.reset.getJob(id);
      expect(job?.failedReason).toBeUndefined();
      expect(job?.stacktrace ?? []).toEqual([]);
      expect(lookups()).toBe(1);
      expect(h.sandbox.control.resetPasscodeCount(device?.id ?? '')).toBe(0);

      // The ticket's work note and the requester's email carry the reason and its link.
      const ledger = new DeliveryLedger(h.intake.redis, h.intake.prefix);
      for (const channel of ['ticket', 'email']) await waitFor(async () => (await ledger.get(`${id}|failed|${channel}`))?.state === 'delivered', 20_000, `the ${channel} notification`);
      const notes = h.sandbox.servicenow.control.journal(incident.sys_id, 'work_notes').map((n) => n.value).join('\n');
      const mail = h.sandbox.smtp?.messages.find((m) => m.text?.includes(id) === true);
      for (const text of [notes, mail?.text ?? '']) {
        expect(text).toContain('(internal_error)');
        expect(text).toContain(REASON_LINKS.internal_error);
      }
      expect(mail?.to).toEqual(['anna@contoso.com']);

      // The worker log: one error line naming the request and the step, and no retry.
      const lines = h.workerLogs.flatMap((chunk) => chunk.split('\n')).filter((l) => l.includes(id)).map((l) => JSON.parse(l) as { level: number; msg: string; state?: string });
      expect(lines.filter((l) => l.level >= 50)).toEqual([expect.objectContaining({ msg: expect.stringMatching(/^unexpected error in a reset step/) as unknown, state: 'checking_eligibility' })]);
      expect(lines.filter((l) => /runs again after a backoff|will be retried/.test(l.msg))).toEqual([]);

      // Nothing secret in what the product wrote: logs, the request, the note, the email.
      const written = JSON.stringify([h.workerLogs, body, notes, mail]);
      const secrets = [h.sandbox.clientSecret, h.sandbox.servicenow.credentials.basic.password, h.sandbox.jira.credentials?.apiToken ?? 'no-jira-token', SERVICENOW_SECRET, JIRA_SECRET];
      for (const secret of secrets) expect(written).not.toContain(secret);
      expect(written).not.toMatch(/Bearer |authorization/i);
      expect(written).not.toContain(CUT_SHORT);
    } finally {
      h.sandbox.control.faults.clear();
    }
  }, 45_000);

  /**
   * The same unreadable success on the resetPasscode POST is no failure at all: Graph accepted the POST (a success
   * status), so the reset was sent. Ending the request `internal_error` there would tell the requester nothing
   * happened, and a retry would send a second reset. The sandbox's `body` fault runs the route (the reset takes
   * effect) and answers its status with the fault's body in place of its own.
   */
  it('follows a resetPasscode whose success answer cannot be read to its end, with one POST, as any other sent reset', async () => {
    const device = FIXTURE_DEVICES.androidFullyManaged;
    h.sandbox.control.scriptAction(device, { outcome: 'done', activeAfterMs: 20, finalAfterMs: 60 });
    h.sandbox.control.injectFault({ method: 'POST', path: `/beta/deviceManagement/managedDevices/${device}/resetPasscode`, fault: { kind: 'body', text: '{"error":{"code":"InternalServerError","message":"in-stream' } });
    try {
      const submitted = await h.intake.app.inject({ method: 'POST', url: '/v1/resets', headers: h.intake.auth('submitter'), payload: { device: { id: device }, requestedBy: 'anna@contoso.com' } });
      expect(submitted.statusCode).toBe(202);
      const id = submitted.json<{ id: string }>().id;
      await h.until(id, 'awaiting_approval');
      expect((await h.intake.app.inject({ method: 'POST', url: `/v1/resets/${id}/approve`, headers: h.intake.auth('approver') })).statusCode).toBe(200);
      await h.until(id, 'succeeded', 20_000);
      expect(h.sandbox.control.resetPasscodeCount(device)).toBe(1);
      const stored = await h.intake.store.get(id);
      expect(stored?.timeline.find((t) => t.to === 'awaiting_device')?.reason).toMatch(/accepted by Graph \(200\), though its answer could not be read/);
      expect(stored?.workflow).toMatchObject({ outcomeReason: 'done', submitAttempts: 1 });
    } finally {
      h.sandbox.control.faults.clear();
    }
  }, 45_000);
});
