import { FIXTURE_DEVICES } from '@resetpc/sandbox';
import { SN_FIXTURE } from '@resetpc/sandbox/servicenow';
import { FIXTURE_ACCOUNTS } from '@resetpc/sandbox/jira';
import { DOCS } from '../../src/domain/reasons';
import { JIRA_SECRET, SERVICENOW_SECRET } from '../support/intake';
import { startWorkflowHarness, type WorkflowHarness } from '../support/workflow';

/**
 * A remote refusal that no retry can fix ends the request at once, with that system's reason and link (issue 12, the
 * part users see): before, a 401/403/404 from ServiceNow or Jira kept a request retrying for about half an hour, and it
 * then ended `graph_unavailable`, with the wrong reason and link in the ticket. ServiceNow answers 403 "Operation
 * Failed" when an ACL denies a read (docs: "Table API", "the calling user must have sufficient roles"); Jira answers 401
 * to a bad account or API token (developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/). The sandbox's
 * fault rules inject them.
 */
describe('permanent remote errors', () => {
  let h: WorkflowHarness;

  beforeAll(async () => {
    h = await startWorkflowHarness('permerr');
  }, 30_000);

  afterAll(async () => {
    await h.close();
  });

  const serialOf = (deviceId: string): string => h.sandbox.control.device(deviceId)?.device.serialNumber ?? '';

  it('ends a ServiceNow request failed with servicenow_forbidden when the approval read is denied, at once and with the Table API link', async () => {
    const device = FIXTURE_DEVICES.androidDedicated;
    const incident = h.sandbox.servicenow.control.addIncident({ requester: SN_FIXTURE.users.requester.user_name, u_device_serial: serialOf(device), short_description: 'Phone locked' });
    h.sandbox.servicenow.control.injectFault({ method: 'GET', path: '/api/now/table/sysapproval_approver', fault: { kind: 'status', status: 403 } });
    try {
      const delivery = await h.sandbox.servicenow.control.sendWebhook(incident.number ?? '', { intakeUrl: `${h.intakeUrl}/v1/webhooks/servicenow`, secret: SERVICENOW_SECRET });
      expect(delivery.status).toBe(202);
      const id = (await h.intake.store.list({ ticket: incident.number ?? '' }, 1)).items[0]?.id ?? '';
      await h.until(id, 'failed', 15_000);
      const res = await h.intake.app.inject({ method: 'GET', url: `/v1/resets/${id}`, headers: h.intake.auth('operator') });
      const body = res.json<{ progress: { outcomeReason: string }; links: { failureDetails?: string }; timeline: { reason: string }[] }>();
      expect(body.progress.outcomeReason).toBe('servicenow_forbidden');
      expect(body.links.failureDetails).toBe(DOCS.servicenowTableApi);
      expect(body.timeline.at(-1)?.reason).toMatch(/ServiceNow answered 403/);
      expect(h.sandbox.control.resetPasscodeCount(device)).toBe(0);
    } finally {
      h.sandbox.servicenow.control.clearFaults();
    }
  });

  it('ends a Jira request failed with jira_unauthorized when Jira refuses the account, at once', async () => {
    const device = FIXTURE_DEVICES.androidFullyManaged;
    const issue = h.sandbox.jira.control.addIssue({ projectKey: 'HD', summary: 'Locked out', reporter: FIXTURE_ACCOUNTS.anna.accountId, device: serialOf(device), requestType: { id: '12', name: 'Reset device passcode' }, approvals: [{ name: 'Manager approval', approvers: [FIXTURE_ACCOUNTS.ben.accountId] }] });
    const rule = h.sandbox.jira.control.injectFault({ method: 'GET', path: '/rest/servicedeskapi/request/*/approval', fault: { kind: 'status', status: 401 } });
    try {
      const sent = await h.sandbox.jira.control.sendIssueWebhook(issue.key, 'jira:issue_created', { intakeUrl: `${h.intakeUrl}/v1/webhooks/jira`, secret: JIRA_SECRET });
      expect(sent.finalStatus).toBe(202);
      const id = (await h.intake.store.list({ ticket: issue.key }, 1)).items[0]?.id ?? '';
      await h.until(id, 'failed', 15_000);
      const stored = await h.intake.store.get(id);
      expect(stored?.workflow.outcomeReason).toBe('jira_unauthorized');
      expect(stored?.timeline.at(-1)?.reason).toMatch(/API token/);
      expect(h.sandbox.control.resetPasscodeCount(device)).toBe(0);
    } finally {
      h.sandbox.jira.control.faults.remove(rule);
    }
  });

  /**
   * An answer that is not the API's own is a configuration fault, not a refusal: a ServiceNow developer instance that
   * hibernates answers its hibernation web page (developer.servicenow.com/blog.do?p=/post/hibernation-and-developer-instances/),
   * and an HTML page from Jira's address means the call did not reach Jira's REST API (Jira answers JSON;
   * community.atlassian.com/forums/Jira-questions/Intermittent-HTTP-400-Bad-Request-from-Jira-REST-API-rest-api-3/qaq-p/3240036).
   * The request ends at once with `<system>_invalid_response` (before: `<system>_rejected`), which the runbook maps to
   * "check the instance URL".
   */
  it.each(['servicenow', 'jira'] as const)('ends a %s request failed with its invalid_response reason when the approval read answers a web page', async (system) => {
    const device = FIXTURE_DEVICES.androidDedicated;
    const page = { kind: 'body' as const, text: '<!doctype html><html><head><title>Instance hibernating</title></head><body>Wake your instance</body></html>' };
    let ticket: string;
    let clear: () => void;
    if (system === 'servicenow') {
      const incident = h.sandbox.servicenow.control.addIncident({ requester: SN_FIXTURE.users.requester.user_name, u_device_serial: serialOf(device), short_description: 'Phone locked' });
      h.sandbox.servicenow.control.injectFault({ method: 'GET', path: '/api/now/table/sysapproval_approver', fault: page });
      clear = () => { h.sandbox.servicenow.control.clearFaults(); };
      ticket = incident.number ?? '';
    } else {
      const issue = h.sandbox.jira.control.addIssue({ projectKey: 'HD', summary: 'Locked out', reporter: FIXTURE_ACCOUNTS.anna.accountId, device: serialOf(device), requestType: { id: '12', name: 'Reset device passcode' }, approvals: [{ name: 'Manager approval', approvers: [FIXTURE_ACCOUNTS.ben.accountId] }] });
      const rule = h.sandbox.jira.control.injectFault({ method: 'GET', path: '/rest/servicedeskapi/request/*/approval', fault: page });
      clear = () => { h.sandbox.jira.control.faults.remove(rule); };
      ticket = issue.key;
    }
    try {
      const status = system === 'servicenow'
        ? (await h.sandbox.servicenow.control.sendWebhook(ticket, { intakeUrl: `${h.intakeUrl}/v1/webhooks/servicenow`, secret: SERVICENOW_SECRET })).status
        : (await h.sandbox.jira.control.sendIssueWebhook(ticket, 'jira:issue_created', { intakeUrl: `${h.intakeUrl}/v1/webhooks/jira`, secret: JIRA_SECRET })).finalStatus;
      expect(status).toBe(202);
      const id = (await h.intake.store.list({ ticket }, 1)).items[0]?.id ?? '';
      await h.until(id, 'failed', 15_000);
      const res = await h.intake.app.inject({ method: 'GET', url: `/v1/resets/${id}`, headers: h.intake.auth('operator') });
      const body = res.json<{ progress: { outcomeReason: string }; links: { failureDetails?: string }; timeline: { reason: string }[] }>();
      expect(body.progress.outcomeReason).toBe(`${system}_invalid_response`);
      expect(body.links.failureDetails).toBe(system === 'servicenow' ? DOCS.servicenowTableApi : DOCS.jiraServiceDeskApi);
      expect(body.timeline.at(-1)?.reason).toMatch(/does not have the expected shape: check the (instance|site) URL/);
      expect(h.sandbox.control.resetPasscodeCount(device)).toBe(0);
    } finally {
      clear();
    }
  });

  it('ends a request at once with servicenow_not_configured when the workers have no ServiceNow account, though the intake had one', async () => {
    const split = await startWorkflowHarness('permerr-split', {}, { workersWithout: ['servicenow'] });
    try {
      const device = FIXTURE_DEVICES.androidFullyManaged;
      const serial = split.sandbox.control.device(device)?.device.serialNumber ?? '';
      const record = split.sandbox.servicenow.control.addIncident({ requester: SN_FIXTURE.users.requester.user_name, u_device_serial: serial, short_description: 'Phone locked' });
      const sent = await split.sandbox.servicenow.control.sendWebhook(record.number ?? '', { intakeUrl: `${split.intakeUrl}/v1/webhooks/servicenow`, secret: SERVICENOW_SECRET });
      expect(sent.status).toBe(202);
      const id = (await split.intake.store.list({ ticket: record.number ?? '' }, 1)).items[0]?.id ?? '';
      const started = Date.now();
      await split.until(id, 'failed', 15_000);
      // At once: no retries with backoff (the first would wait at least a second, the tenth minutes).
      expect(Date.now() - started).toBeLessThan(10_000);
      const stored = await split.intake.store.get(id);
      expect(stored?.workflow.outcomeReason).toBe('servicenow_not_configured');
      expect(stored?.timeline.at(-1)?.reason).toMatch(/ServiceNow is not configured/);
      expect(split.sandbox.control.resetPasscodeCount(device)).toBe(0);
    } finally {
      await split.close();
    }
  }, 30_000);
  /**
   * Graph's own refusals end a request at once too, each with a reason and link of its own. Graph answers 401
   * `InvalidAuthenticationToken` when it does not accept the app's token, and 400 `BadRequest` to a request it cannot
   * serve (learn.microsoft.com/graph/errors, "HTTP status codes"); neither changes on a retry.
   */
  it.each([
    { status: 401 as const, reason: 'graph_unauthorized', link: DOCS.graphAppOnlyAccess, says: /Graph refused the access token \(401\)/ },
    { status: 400 as const, reason: 'graph_bad_request', link: DOCS.graphErrors, says: /Graph rejected the request \(400\)/ },
  ])('ends a request failed with $reason when Graph answers the device lookup $status, at once and with its link', async ({ status, reason, link, says }) => {
    const device = FIXTURE_DEVICES.androidDedicated;
    const lookups = (): number => h.sandbox.control.calls.filter((c) => c.method === 'GET' && c.path === '/beta/deviceManagement/managedDevices').length;
    const rule = h.sandbox.control.injectFault({ method: 'GET', path: '/beta/deviceManagement/managedDevices', fault: { kind: 'status', status } });
    const before = lookups();
    try {
      const started = Date.now();
      const submitted = await h.intake.app.inject({ method: 'POST', url: '/v1/resets', headers: h.intake.auth('submitter'), payload: { device: { serialNumber: serialOf(device) }, requestedBy: 'anna@contoso.com' } });
      expect(submitted.statusCode).toBe(202);
      const id = submitted.json<{ id: string }>().id;
      await h.until(id, 'failed', 15_000);
      expect(Date.now() - started).toBeLessThan(10_000);
      const res = await h.intake.app.inject({ method: 'GET', url: `/v1/resets/${id}`, headers: h.intake.auth('operator') });
      const body = res.json<{ progress: { outcomeReason: string }; links: { failureDetails?: string }; timeline: { reason: string }[] }>();
      expect(body.progress.outcomeReason).toBe(reason);
      expect(body.links.failureDetails).toBe(link);
      expect(body.timeline.at(-1)?.reason).toMatch(says);
      // Asked once, not retried.
      expect(lookups() - before).toBe(1);
      expect(h.sandbox.control.resetPasscodeCount(device)).toBe(0);
    } finally {
      h.sandbox.control.faults.remove(rule);
    }
  });
});
