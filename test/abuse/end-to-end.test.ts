import { FIXTURE_DEVICES, SANDBOX_CANARY_PASSCODE_PREFIX, type GraphCallRecord } from '@resetpc/sandbox';
import { waitFor } from '../support/env';
import { JIRA_SECRET, SERVICENOW_SECRET } from '../support/intake';
import { jiraHeaders, jiraIssueCreated, serviceNowDelivery, serviceNowHeaders } from '../support/webhooks';
import { startWorkflowHarness, type WorkflowHarness } from '../support/workflow';

/**
 * Injection, path tricks and secrets, end to end: the real intake, worker and notifier against the sandbox, whose
 * recorded calls show exactly what reached Graph. Hostile identifiers are refused at the door or travel as literal
 * data: the $filter literal has its quotes doubled, and a path segment is encoded whole.
 */
describe('abuse, end to end', () => {
  let h: WorkflowHarness;
  /** A managed device id Graph would never hand out, but which the product must still treat as data. */
  const HOSTILE_ID = "../../servicePrincipals?$filter=appId eq 'x'#frag";
  const HOSTILE_NAME = 'HOSTILE-ID-PHONE';
  const APOSTROPHE_ID = 'e0000000-0000-4000-8000-00000000a905';
  const APOSTROPHE_NAME = "O'Brien's Phone";

  beforeAll(async () => {
    h = await startWorkflowHarness('abusee2e', { NOTIFY_EMAIL_TRANSPORT: 'graph', NOTIFY_EMAIL_FROM: 'resetpc@contoso.com' });
    const app = h.sandbox.control.app(h.sandbox.clientId);
    // Email goes out through Graph sendMail, so the simulated tenant catches every message the product sends.
    h.sandbox.control.setAppRoles(h.sandbox.clientId, [...(app?.roles ?? []), 'Mail.Send']);
    const template = h.sandbox.control.device(FIXTURE_DEVICES.androidFullyManaged)?.device;
    if (template === undefined) throw new Error('the fixture device is missing');
    h.sandbox.control.upsertDevice({ device: { ...template, id: HOSTILE_ID, deviceName: HOSTILE_NAME, serialNumber: 'SBXHOSTILE01' } });
    h.sandbox.control.upsertDevice({ device: { ...template, id: APOSTROPHE_ID, deviceName: APOSTROPHE_NAME, serialNumber: 'SBXOBRIEN01' } });
  }, 30_000);

  afterAll(async () => {
    await h.close();
  });

  async function submit(device: Record<string, string>): Promise<string> {
    const res = await h.intake.app.inject({ method: 'POST', url: '/v1/resets', headers: h.intake.auth('submitter'), payload: { device, requestedBy: 'anna@contoso.com', reason: 'locked out' } });
    expect(res.statusCode).toBe(202);
    return res.json<{ id: string }>().id;
  }

  const approve = async (id: string): Promise<void> => {
    const res = await h.intake.app.inject({ method: 'POST', url: `/v1/resets/${id}/approve`, headers: h.intake.auth('approver') });
    expect(res.statusCode).toBe(200);
  };

  /** The $filter values of the device lookups Graph received, decoded once, as Graph reads them. */
  const filtersSent = (): string[] =>
    h.sandbox.control.calls.filter((c) => c.path.endsWith('/deviceManagement/managedDevices')).map((c) => new URLSearchParams(c.query).get('$filter') ?? '');

  async function storedJobs(): Promise<number> {
    return Object.values(await h.intake.queues.reset.getJobCounts()).reduce((a, b) => a + b, 0);
  }

  it('treats an OData injection in a device name as a literal name: quotes doubled, nothing else matched', async () => {
    const victim = FIXTURE_DEVICES.androidFullyManaged;
    const injected = "x' or deviceName eq 'AE-FM-0100";
    const id = await submit({ deviceName: injected });
    await h.until(id, 'ineligible');
    expect((await h.intake.store.get(id))?.workflow.outcomeReason).toBe('device_not_found');
    expect(filtersSent()).toContain("deviceName eq 'x'' or deviceName eq ''AE-FM-0100'");
    expect(h.sandbox.control.resetPasscodeCount(victim)).toBe(0);
  });

  it('finds a device whose name has apostrophes by its literal name', async () => {
    const id = await submit({ deviceName: APOSTROPHE_NAME });
    await h.until(id, 'awaiting_approval');
    expect((await h.intake.store.get(id))?.workflow.managedDeviceId).toBe(APOSTROPHE_ID);
    expect(filtersSent()).toContain("deviceName eq 'O''Brien''s Phone'");
    const cancel = await h.intake.app.inject({ method: 'POST', url: `/v1/resets/${id}/cancel`, headers: h.intake.auth('operator') });
    expect(cancel.statusCode).toBe(200);
  });

  it('refuses path tricks and percent-encodings in identifiers at the door, from the API and from both webhooks', async () => {
    const jobsBefore = await storedJobs();
    const callsBefore = h.sandbox.control.calls.length;
    const tricks = ['../x', '..', '%27', '%2e%2e%2f', "x'/..", '?$filter=true', 'a/b', 'a\\b', 'x#y', '\u202e..', 'ＡＢＣ/１'];
    for (const value of tricks) {
      for (const kind of ['id', 'azureADDeviceId', 'serialNumber']) {
        const res = await h.intake.app.inject({ method: 'POST', url: '/v1/resets', headers: h.intake.auth('submitter'), payload: { device: { [kind]: value }, requestedBy: 'anna@contoso.com' } });
        expect({ kind, value, status: res.statusCode }).toEqual({ kind, value, status: 400 });
      }
      const name = await h.intake.app.inject({ method: 'POST', url: '/v1/resets', headers: h.intake.auth('submitter'), payload: { device: { deviceName: value }, requestedBy: 'anna@contoso.com' } });
      expect({ value, status: name.statusCode }).toEqual({ value, status: 400 });

      const jira = JSON.stringify(jiraIssueCreated({ key: 'HD-901', serial: value }));
      const fromJira = await h.intake.app.inject({ method: 'POST', url: '/v1/webhooks/jira', headers: jiraHeaders(JIRA_SECRET, jira), payload: jira });
      expect(fromJira.statusCode).toBe(200);
      expect(fromJira.json()).toMatchObject({ status: 'ignored' });

      const sn = JSON.stringify(serviceNowDelivery({ number: 'INC0090001', serial: value }));
      const fromServiceNow = await h.intake.app.inject({ method: 'POST', url: '/v1/webhooks/servicenow', headers: serviceNowHeaders(SERVICENOW_SECRET, sn), payload: sn });
      expect(fromServiceNow.statusCode).toBe(400);
    }
    expect(await storedJobs()).toBe(jobsBefore);
    // Graph saw none of them (its other calls meanwhile are notification emails and earlier requests' reads).
    const reached = h.sandbox.control.calls.slice(callsBefore).filter((c) => tricks.some((t) => `${c.path}?${decodeURIComponent(c.query)}`.includes(t)));
    expect(reached).toEqual([]);
  });

  it('sends a hostile managed device id as one encoded path segment, and resets that device once', async () => {
    h.sandbox.control.scriptAction(HOSTILE_ID, { outcome: 'done', activeAfterMs: 20, finalAfterMs: 60 });
    const id = await submit({ deviceName: HOSTILE_NAME });
    await h.until(id, 'awaiting_approval');
    expect((await h.intake.store.get(id))?.workflow.managedDeviceId).toBe(HOSTILE_ID);
    await approve(id);
    await h.until(id, 'succeeded');
    expect(h.sandbox.control.resetPasscodeCount(HOSTILE_ID)).toBe(1);
    // The sandbox routes on the decoded segments: a 200 on …/managedDevices/{id} and a 204 on …/{id}/resetPasscode
    // mean the id arrived as one segment; unencoded, it would have split into several and matched no route.
    const onDevice = (c: GraphCallRecord): boolean => c.path.startsWith(`/beta/deviceManagement/managedDevices/${HOSTILE_ID}`) || c.path.startsWith(`/v1.0/deviceManagement/managedDevices/${HOSTILE_ID}`);
    const calls = h.sandbox.control.calls.filter(onDevice);
    expect(calls.some((c) => c.method === 'GET' && c.outcome === 200 && !c.path.endsWith('/resetPasscode'))).toBe(true);
    expect(calls.filter((c) => c.method === 'POST')).toEqual([expect.objectContaining({ path: `/beta/deviceManagement/managedDevices/${HOSTILE_ID}/resetPasscode`, outcome: 204 })]);
    for (const call of calls) expect(new URLSearchParams(call.query).get('$filter')).toBeNull();
    expect(h.sandbox.control.calls.filter((c) => c.path.includes('servicePrincipals') && c.query.includes('appId'))).toEqual([]);
  });

  it('after success and failure paths, no passcode, token or secret is in the logs, Redis, ticket writes or emails', async () => {
    // A failure path (the device reports the action failed) and a ticket path (Jira, approved in Jira).
    const failing = FIXTURE_DEVICES.androidCorporateWorkProfile;
    h.sandbox.control.scriptAction(failing, { outcome: 'failed', activeAfterMs: 20, finalAfterMs: 60, errorCode: 1 });
    const failed = await submit({ id: failing });
    await h.until(failed, 'awaiting_approval');
    await approve(failed);
    await h.until(failed, 'failed');

    const device = FIXTURE_DEVICES.androidAosp;
    h.sandbox.control.scriptAction(device, { outcome: 'done', activeAfterMs: 20, finalAfterMs: 60 });
    const serial = h.sandbox.control.device(device)?.device.serialNumber ?? '';
    const issue = h.sandbox.jira.control.addIssue({ projectKey: 'HD', summary: 'Headset locked', reporter: 'anna@contoso.com', device: serial, approvals: [{ name: 'Manager', approvers: ['ben.manager@contoso.com'] }] });
    const sent = await h.sandbox.jira.control.sendIssueWebhook(issue.key, 'jira:issue_created', { intakeUrl: `${h.intakeUrl}/v1/webhooks/jira`, secret: JIRA_SECRET, maxAttempts: 1 });
    expect(sent.finalStatus).toBe(202);
    const fromJira = (await h.intake.store.list({ ticket: issue.key }, 1)).items[0]?.id ?? '';
    await h.until(fromJira, 'awaiting_approval');
    h.sandbox.jira.control.setApprovalDecision(issue.key, 'approved');
    await h.until(fromJira, 'succeeded');

    // The canary passcodes exist: the simulated Intune made one per reset, so their absence below means something.
    const passcodes = [HOSTILE_ID, failing, device].flatMap((d) => h.sandbox.control.deviceActions(d).map((a) => a.passcode));
    expect(passcodes.length).toBeGreaterThanOrEqual(3);
    for (const p of passcodes) expect(p.startsWith(SANDBOX_CANARY_PASSCODE_PREFIX)).toBe(true);

    // Let the notifier finish: ticket comments and emails for the final states.
    await waitFor(() => h.sandbox.jira.control.writes.some((w) => w.path.includes(issue.key)), 20_000, `a write-back to ${issue.key}`);
    await waitFor(() => h.sandbox.control.sentMail.length >= 3, 20_000, 'the outcome emails');
    await waitFor(async () => {
      const counts = await h.intake.queues.notify.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return Object.values(counts).every((n) => n === 0);
    }, 20_000, 'the notify queue to drain');

    const redis = h.intake.redis;
    const dump: string[] = [];
    for (const key of await redis.keys(`${h.intake.prefix}*`)) {
      const type = await redis.type(key);
      // A key listed a moment ago may be gone by now (the worker deletes its active-request marks): nothing to read.
      if (type === 'none') continue;
      dump.push(key);
      if (type === 'string') dump.push((await redis.get(key)) ?? '');
      else if (type === 'hash') dump.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === 'list') dump.push(...(await redis.lrange(key, 0, -1)));
      else if (type === 'set') dump.push(...(await redis.smembers(key)));
      else if (type === 'zset') dump.push(...(await redis.zrange(key, 0, -1, 'WITHSCORES')));
      else if (type === 'stream') dump.push(JSON.stringify(await redis.xrange(key, '-', '+')));
      else throw new Error(`no dump for Redis type ${type} (${key})`);
    }
    const ticketWrites = [...h.sandbox.jira.control.writes.map((w) => JSON.stringify(w)), ...h.sandbox.servicenow.control.writes.map((w) => JSON.stringify(w))];
    const emails = [...h.sandbox.control.sentMail.map((m) => JSON.stringify(m)), ...(h.sandbox.smtp?.messages.map((m) => JSON.stringify(m)) ?? [])];
    const logs = [...h.workerLogs, ...h.intake.rawLogs];
    expect(dump.length).toBeGreaterThan(50);
    expect(ticketWrites.length).toBeGreaterThan(0);
    expect(emails.length).toBeGreaterThanOrEqual(3);
    expect(logs.length).toBeGreaterThan(20);

    const jira = h.sandbox.jira.credentials;
    const needles: Record<string, string> = {
      'the canary passcode': SANDBOX_CANARY_PASSCODE_PREFIX,
      'a sandbox access token': 'sbx-at.',
      'the Entra client secret': h.sandbox.clientSecret,
      'the Jira webhook secret': JIRA_SECRET,
      'the ServiceNow webhook secret': SERVICENOW_SECRET,
      'the ServiceNow password': h.sandbox.servicenow.credentials.basic.password,
      ...(jira === undefined ? {} : { 'the Jira API token': jira.apiToken }),
      ...Object.fromEntries(Object.entries(h.intake.tokens).map(([name, token]) => [`the ${name} API token`, token])),
    };
    const places: Record<string, string> = { logs: logs.join('\n'), redis: dump.join('\n'), 'ticket writes': ticketWrites.join('\n'), emails: emails.join('\n') };
    const found: string[] = [];
    for (const [where, text] of Object.entries(places)) {
      for (const [what, needle] of Object.entries(needles)) if (text.includes(needle)) found.push(`${what} in ${where}`);
    }
    expect(found).toEqual([]);
  }, 60_000);
});
