import { FIXTURE_DEVICES } from '@resetpc/sandbox';
import { SN_FIXTURE } from '@resetpc/sandbox/servicenow';
import { FIXTURE_ACCOUNTS } from '@resetpc/sandbox/jira';
import { createSubmissionService } from '../../src/app/submissions';
import { createJobScheduler } from '../../src/queue/scheduler';
import { createRequestAcceptance } from '../../src/store/acceptance';
import { createLogger } from '../../src/logging/logger';
import { JIRA_SECRET, SERVICENOW_SECRET } from '../support/intake';
import { startWorkflowHarness, type WorkflowHarness } from '../support/workflow';
import { waitFor } from '../support/env';

/**
 * Issue 10, findings 1 and 2: an approval authorises one reset, of the device its ticket names, for that ticket's
 * requester, whoever calls the API. Attacked the way the review did it: a caller with only `submit` cites a ticket
 * that someone else's approver approved, for another device; a caller cites a ticket outside the configured projects,
 * or the next ServiceNow number before that incident exists. The real intake, worker and notifier run against the
 * sandbox; the device's resetPasscode count and the tickets' comments and work notes show what really happened.
 *
 * Sources for the simulated ends: Jira `GET /rest/api/3/issue/{key}` with `fields`
 * (developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-get), JSM
 * approvals (developer.atlassian.com/cloud/jira/service-desk/rest/api-group-request/#api-rest-servicedeskapi-request-issueidorkey-approval-get);
 * ServiceNow Table API dot-walking in `sysparm_fields` (developer.servicenow.com/blog.do?p=/post/dot-walking-in-the-rest-table-api-2/).
 */
describe('abuse: citing a ticket through the API', () => {
  let h: WorkflowHarness;
  const { anna, ben } = FIXTURE_ACCOUNTS;

  beforeAll(async () => {
    h = await startWorkflowHarness('ticketcite');
  }, 30_000);

  afterAll(async () => {
    await h.close();
  });

  const serialOf = (deviceId: string): string => h.sandbox.control.device(deviceId)?.device.serialNumber ?? '';

  /** A JSM request in HD for `deviceId`, raised by Anna and approved by Ben (her manager). */
  function approvedJiraIssue(deviceId: string): string {
    const issue = h.sandbox.jira.control.addIssue({
      projectKey: 'HD',
      summary: 'Locked out of my phone',
      reporter: anna.accountId,
      device: serialOf(deviceId),
      requestType: { id: '12', name: 'Reset device passcode' },
      approvals: [{ name: 'Manager approval', approvers: [ben.accountId] }],
    });
    h.sandbox.jira.control.setApprovalDecision(issue.key, 'approved');
    return issue.key;
  }

  /** A ServiceNow incident for `deviceId`, raised by the fixture requester and approved by the fixture approver. */
  function approvedIncident(deviceId: string): { number: string; sysId: string } {
    const record = h.sandbox.servicenow.control.addIncident({ requester: SN_FIXTURE.users.requester.user_name, u_device_serial: serialOf(deviceId), short_description: 'Phone locked' });
    h.sandbox.servicenow.control.addApproval({ task: record.sys_id, approver: SN_FIXTURE.users.approver.user_name, state: 'approved' });
    return { number: record.number ?? '', sysId: record.sys_id };
  }

  const post = (token: 'submitter' | 'integration', payload: Record<string, unknown>) =>
    h.intake.app.inject({ method: 'POST', url: '/v1/resets', headers: h.intake.auth(token), payload });

  const requestsFor = async (ticket: string) => (await h.intake.store.list({ ticket }, 10)).items;

  it('refuses a submit-only caller who cites an approved Jira ticket for another device: no request, no reset', async () => {
    const key = approvedJiraIssue(FIXTURE_DEVICES.androidDedicated);
    const victim = FIXTURE_DEVICES.androidAosp;
    const res = await post('submitter', { device: { serialNumber: serialOf(victim) }, requestedBy: 'eve@contoso.com', ticket: { system: 'jira', key } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: { code: 'forbidden' } });
    expect(await requestsFor(key)).toEqual([]);
    expect(h.sandbox.control.resetPasscodeCount(victim)).toBe(0);
  });

  it('refuses a caller with the ticket role whose device or requester differ from the ticket, for Jira and ServiceNow', async () => {
    const victim = FIXTURE_DEVICES.androidPersonalWorkProfile;
    const key = approvedJiraIssue(FIXTURE_DEVICES.androidCorporateWorkProfile);
    const otherDevice = await post('integration', { device: { serialNumber: serialOf(victim) }, ticket: { system: 'jira', key } });
    expect(otherDevice.statusCode).toBe(422);
    expect(otherDevice.json()).toMatchObject({ error: { code: 'ticket_mismatch' } });
    const otherPerson = await post('integration', { requestedBy: 'eve@contoso.com', ticket: { system: 'jira', key } });
    expect(otherPerson.statusCode).toBe(422);
    expect(otherPerson.json()).toMatchObject({ error: { code: 'ticket_mismatch' } });

    const incident = approvedIncident(FIXTURE_DEVICES.androidCorporateWorkProfile);
    const snOther = await post('integration', { device: { serialNumber: serialOf(victim) }, requestedBy: SN_FIXTURE.users.requester.email, ticket: { system: 'servicenow', key: incident.number } });
    expect(snOther.statusCode).toBe(422);
    expect(snOther.json()).toMatchObject({ error: { code: 'ticket_mismatch' } });

    expect(await requestsFor(key)).toEqual([]);
    expect(await requestsFor(incident.number)).toEqual([]);
    expect(h.sandbox.control.resetPasscodeCount(victim)).toBe(0);
    // A refused citation claims nothing: the ticket's own webhook still starts its request.
    const delivery = await h.sandbox.servicenow.control.sendWebhook(incident.number, { intakeUrl: `${h.intakeUrl}/v1/webhooks/servicenow`, secret: SERVICENOW_SECRET });
    expect(delivery.status).toBe(202);
  });

  it('builds the request from the ticket itself: its device, its requester; then one request per ticket', async () => {
    const device = FIXTURE_DEVICES.androidFullyManaged;
    h.sandbox.control.scriptAction(device, { outcome: 'done', activeAfterMs: 10, finalAfterMs: 40 });
    const key = approvedJiraIssue(device);
    const res = await post('integration', { ticket: { system: 'jira', key } });
    expect(res.statusCode).toBe(202);
    const { id } = res.json<{ id: string }>();
    const stored = await h.intake.store.get(id);
    expect(stored?.request).toMatchObject({ device: { kind: 'serialNumber', value: serialOf(device) }, requestedBy: anna.emailAddress, source: 'jira', submittedBy: 'helpdesk-integration', ticket: { system: 'jira', key } });
    await h.until(id, 'succeeded');
    expect((await h.intake.store.get(id))?.workflow.approver).toBe(ben.accountId.toLowerCase());
    expect(h.sandbox.control.resetPasscodeCount(device)).toBe(1);
    // The result is written back to the ticket the request came from.
    await waitFor(() => (h.sandbox.jira.control.issue(key)?.comments.length ?? 0) > 0, 10_000, 'the result comment on the ticket');

    // A second request on the used ticket is refused, through the API (with or without the device) and by its webhook.
    for (const payload of [{ ticket: { system: 'jira', key } }, { device: { serialNumber: serialOf(device) }, requestedBy: anna.emailAddress, ticket: { system: 'jira', key } }]) {
      const again = await post('integration', payload);
      expect(again.statusCode).toBe(409);
      expect(again.json()).toMatchObject({ error: { code: 'ticket_already_used', details: { activeRequestId: id } } });
    }
    const webhook = await h.sandbox.jira.control.sendIssueWebhook(key, 'jira:issue_updated', { intakeUrl: `${h.intakeUrl}/v1/webhooks/jira`, secret: JIRA_SECRET });
    expect(webhook.finalStatus).toBe(200);
    expect(await requestsFor(key)).toHaveLength(1);
    expect(h.sandbox.control.resetPasscodeCount(device)).toBe(1);
  });

  it('refuses a ticket in a Jira project outside JIRA_PROJECTS, and writes nothing to it', async () => {
    const res = await post('integration', { ticket: { system: 'jira', key: 'OPS-1' } });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ error: { code: 'ticket_not_in_scope' } });
    expect(await requestsFor('OPS-1')).toEqual([]);
    expect(h.sandbox.jira.control.issue('OPS-1')?.comments).toEqual([]);
  });

  it('does not let a claim on the next ServiceNow number block the incident that later gets it', async () => {
    // The next number the instance will hand out.
    const probe = h.sandbox.servicenow.control.addIncident({ requester: SN_FIXTURE.users.requester.user_name, short_description: 'probe' });
    const next = `INC${String(Number((probe.number ?? '').slice(3)) + 1).padStart(7, '0')}`;
    const claim = await post('integration', { ticket: { system: 'servicenow', key: next } });
    expect(claim.statusCode).toBe(422);
    expect(claim.json()).toMatchObject({ error: { code: 'ticket_not_found' } });
    expect(await requestsFor(next)).toEqual([]);

    const real = approvedIncident(FIXTURE_DEVICES.windowsMobileAadJoined);
    expect(real.number).toBe(next);
    const delivery = await h.sandbox.servicenow.control.sendWebhook(real.number, { intakeUrl: `${h.intakeUrl}/v1/webhooks/servicenow`, secret: SERVICENOW_SECRET });
    expect(delivery.status).toBe(202);
    expect(await requestsFor(next)).toHaveLength(1);
  });

  it('refuses citations it cannot check against the ticket: a sys_id, a requested item', async () => {
    const incident = approvedIncident(FIXTURE_DEVICES.iosSupervised);
    const bySysId = await post('integration', { ticket: { system: 'servicenow', key: incident.sysId } });
    expect(bySysId.statusCode).toBe(422);
    expect(bySysId.json()).toMatchObject({ error: { code: 'ticket_not_verifiable' } });
    const item = h.sandbox.servicenow.control.addRequestedItem({ requester: SN_FIXTURE.users.requester.user_name });
    const byItem = await post('integration', { ticket: { system: 'servicenow', key: item.number } });
    expect(byItem.statusCode).toBe(422);
    expect(byItem.json()).toMatchObject({ error: { code: 'ticket_not_verifiable' } });
  });

  it('rejects a request stored with a borrowed ticket before this check existed, resets nothing and writes nothing to the ticket', async () => {
    const victim = FIXTURE_DEVICES.androidNoPasscodePolicy;
    const key = approvedJiraIssue(FIXTURE_DEVICES.androidDedicated);
    // What the old intake stored for a submit-only caller: the caller's device and requester, the ticket attached.
    const legacy = createSubmissionService({
      store: h.intake.store,
      jobs: createJobScheduler(h.intake.queues),
      acceptance: createRequestAcceptance({ redis: h.intake.redis, store: h.intake.store, queue: h.intake.queues.reset }),
      log: createLogger('silent', 'test'),
    });
    const outcome = await legacy.submit({ device: { kind: 'serialNumber', value: serialOf(victim) }, requestedBy: 'eve@contoso.com', ticket: { system: 'jira', key }, source: 'api', submittedBy: 'submitter' });
    if (outcome.kind !== 'accepted') throw new Error('the legacy request was not stored');
    await h.until(outcome.request.id, 'rejected');
    expect((await h.intake.store.get(outcome.request.id))?.workflow.outcomeReason).toBe('ticket_mismatch');
    expect(h.sandbox.control.resetPasscodeCount(victim)).toBe(0);
    // The notifier had a "rejected" note to write, and skipped the ticket the request did not come from.
    await waitFor(async () => (await h.intake.queues.notify.getJobs(['completed'])).some((j) => (j.data as { requestId?: string }).requestId === outcome.request.id), 10_000, 'the rejected notification to be handled');
    expect(h.sandbox.jira.control.issue(key)?.comments).toEqual([]);
  });

  it('answers 503 with Retry-After while Jira cannot be read, 502 when it refuses for good, and stores nothing either way', async () => {
    const key = approvedJiraIssue(FIXTURE_DEVICES.androidFullyManaged);
    for (const [status, answer, code] of [[503, 503, 'ticketing_unavailable'], [403, 502, 'ticketing_error']] as const) {
      const rule = h.sandbox.jira.control.injectFault({ method: 'GET', path: `/rest/api/3/issue/${key}`, fault: { kind: 'status', status, retryAfterSeconds: status === 503 ? 7 : null } });
      try {
        const res = await post('integration', { ticket: { system: 'jira', key } });
        expect(res.statusCode).toBe(answer);
        expect(res.json()).toMatchObject({ error: { code } });
        if (answer === 503) expect(res.headers['retry-after']).toBe('7');
        expect((await h.intake.store.list({ ticket: key }, 1)).items).toEqual([]);
      } finally {
        h.sandbox.jira.control.faults.remove(rule);
      }
    }
    // Once Jira answers, the same citation is accepted: nothing was claimed while it could not be read.
    expect((await post('integration', { ticket: { system: 'jira', key } })).statusCode).toBe(202);
  });
});
