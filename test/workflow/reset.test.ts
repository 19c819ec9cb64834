import { FIXTURE_DEVICES, SANDBOX_CANARY_PASSCODE_PREFIX } from '@resetpc/sandbox';
import { waitFor } from '../support/env';
import { startWorkflowHarness, type WorkflowHarness } from '../support/workflow';

/** The reset workflow end to end: intake → worker → the sandbox's Graph, ServiceNow and Jira → final state. */
describe('the reset workflow', () => {
  let h: WorkflowHarness;

  beforeAll(async () => {
    h = await startWorkflowHarness('flow');
  });

  afterAll(async () => {
    await h.close();
  });

  async function request(device: Record<string, string>, requestedBy = 'anna@contoso.com'): Promise<string> {
    const res = await h.intake.app.inject({ method: 'POST', url: '/v1/resets', headers: h.intake.auth('submitter'), payload: { device, requestedBy } });
    expect(res.statusCode).toBe(202);
    return res.json<{ id: string }>().id;
  }

  function fastAction(deviceId: string, outcome: 'done' | 'failed' | 'notSupported' = 'done'): void {
    h.sandbox.control.scriptAction(deviceId, { outcome, activeAfterMs: 20, finalAfterMs: 60, ...(outcome === 'failed' ? { errorCode: 1 } : {}) });
  }

  it('resets an Android fully managed device: eligible, approved through the API, one resetPasscode, succeeded', async () => {
    const device = FIXTURE_DEVICES.androidFullyManaged;
    fastAction(device);
    const id = await request({ id: device });
    await h.until(id, 'awaiting_approval');
    const approve = await h.intake.app.inject({ method: 'POST', url: `/v1/resets/${id}/approve`, headers: h.intake.auth('approver') });
    expect(approve.statusCode).toBe(200);
    expect(approve.json()).toEqual({ id, result: 'approval_recorded', approvedBy: 'mia.approver@contoso.com', state: 'awaiting_approval', next: 'approved' });
    await h.until(id, 'succeeded');
    expect(h.sandbox.control.resetPasscodeCount(device)).toBe(1);
    const stored = await h.intake.store.get(id);
    // The approval is an event in the timeline; the worker's move to `approved` follows it.
    expect(stored?.timeline.map((t) => t.event ?? t.to)).toEqual(['received', 'checking_eligibility', 'awaiting_approval', 'approval_recorded', 'approved', 'submitting', 'awaiting_device', 'succeeded']);
    expect(stored?.workflow).toMatchObject({ managedDeviceId: device, effect: 'device_passcode_reset', approver: 'mia.approver@contoso.com', outcomeReason: 'done' });
    // The device lock is released: the same device can be asked for again.
    await request({ id: device });
  });

  it('checks the device again after the approval wait, and submits nothing when it no longer qualifies', async () => {
    const device = FIXTURE_DEVICES.androidCorporateWorkProfile;
    const seed = h.sandbox.control.device(device);
    if (seed === undefined) throw new Error('the fixture device is missing');
    const id = await request({ id: device });
    await h.until(id, 'awaiting_approval');
    // While the approver thinks, someone retires the device.
    h.sandbox.control.upsertDevice({ ...seed, device: { ...seed.device, managementState: 'retirePending' } });
    try {
      await h.intake.app.inject({ method: 'POST', url: `/v1/resets/${id}/approve`, headers: h.intake.auth('approver') });
      await h.until(id, 'ineligible');
      const stored = await h.intake.store.get(id);
      expect(stored?.timeline.at(-1)?.reason).toMatch(/^re-checked before submitting: /);
      expect(h.sandbox.control.resetPasscodeCount(device)).toBe(0);
    } finally {
      h.sandbox.control.upsertDevice(seed);
    }
  });

  it('ends a Windows desktop at once in self-service, with what the user does, before anyone approves', async () => {
    const id = await request({ deviceName: 'DESKTOP-7QK2M' });
    await h.until(id, 'ineligible');
    const stored = await h.intake.store.get(id);
    expect(stored?.workflow.outcomeReason).toBe('self_service');
    expect(stored?.timeline.at(-1)?.reason).toMatch(/"I forgot my PIN"/);
    expect(h.sandbox.control.resetPasscodeCount(FIXTURE_DEVICES.windowsDesktop)).toBe(0);
    // What the API shows: the verdict, and the failure-detail links.
    const shown = await h.intake.app.inject({ method: 'GET', url: `/v1/resets/${id}`, headers: h.intake.auth('operator') });
    expect(shown.json()).toMatchObject({
      state: 'ineligible',
      progress: { managedDeviceId: FIXTURE_DEVICES.windowsDesktop, deviceName: 'DESKTOP-7QK2M', operatingSystem: 'Windows', outcomeReason: 'self_service' },
      links: {
        adminCenter: `https://intune.microsoft.com/#view/Microsoft_Intune_Devices/DeviceSettingsMenuBlade/~/overview/mdmDeviceId/${FIXTURE_DEVICES.windowsDesktop}`,
        failureDetails: expect.stringMatching(/^https:\/\/learn\.microsoft\.com\//),
      },
    });
  });

  it('allows one active request per Intune device, whatever identifier each ticket used', async () => {
    const first = await request({ id: FIXTURE_DEVICES.androidPersonalWorkProfile });
    await h.until(first, 'awaiting_approval');
    const sameDevice = await request({ serialNumber: h.sandbox.control.device(FIXTURE_DEVICES.androidPersonalWorkProfile)?.device.serialNumber ?? '' });
    await h.until(sameDevice, 'ineligible');
    const stored = await h.intake.store.get(sameDevice);
    expect(stored?.workflow.outcomeReason).toBe('device_has_active_request');
    expect(stored?.timeline.at(-1)?.details).toEqual({ activeRequestId: first });
    await h.intake.app.inject({ method: 'POST', url: `/v1/resets/${first}/cancel`, headers: h.intake.auth('operator') });
  });

  /**
   * What a help-desk agent reads when two devices share the name: the reason names both (name, platform, Intune id),
   * and links.failureDetails is a page they act on in the Intune admin center, not the Graph API reference: Learn's
   * "See device details in Intune" (learn.microsoft.com/intune/device-management/inventory-and-status/device-details,
   * "Hardware device details": the Intune Device ID that tells the two apart). For device_not_found the link is
   * "Device management in Microsoft Intune", "Find your managed devices" (…/intune/device-management/overview).
   */
  it('lists the candidates when two devices share the name, and links to where the agent finds their Intune ids', async () => {
    const id = await request({ deviceName: 'FRONTDESK-TAB' });
    await h.until(id, 'ineligible');
    const stored = await h.intake.store.get(id);
    expect(stored?.workflow.outcomeReason).toBe('device_ambiguous');
    expect(stored?.workflow.candidates?.map((c) => c.id).sort()).toEqual([FIXTURE_DEVICES.sharedNameFirst, FIXTURE_DEVICES.sharedNameSecond]);
    const shown = await h.intake.app.inject({ method: 'GET', url: `/v1/resets/${id}`, headers: h.intake.auth('operator') });
    const body = shown.json<{ links: { failureDetails?: string }; timeline: { reason: string }[] }>();
    expect(body.links.failureDetails).toBe('https://learn.microsoft.com/intune/device-management/inventory-and-status/device-details#hardware-device-details');
    const reason = body.timeline.at(-1)?.reason ?? '';
    expect(reason).toMatch(/^2 Intune devices have deviceName "FRONTDESK-TAB"; name the device by its id: /);
    for (const device of [FIXTURE_DEVICES.sharedNameFirst, FIXTURE_DEVICES.sharedNameSecond]) expect(reason).toContain(`FRONTDESK-TAB (Android, ${device})`);
  });

  it('counts the resetPasscode POST under the status Graph answered (204) on GET /metrics', async () => {
    const device = 'e0000000-0000-4000-8000-000000000002';
    const template = h.sandbox.control.device(FIXTURE_DEVICES.androidFullyManaged)?.device;
    if (template === undefined) throw new Error('the fixture device is missing');
    h.sandbox.control.upsertDevice({ device: { ...template, id: device, deviceName: 'AE-METRICS-01', serialNumber: 'SBXMETRICS01' } });
    fastAction(device);
    const id = await request({ id: device });
    await h.until(id, 'awaiting_approval');
    await h.intake.app.inject({ method: 'POST', url: `/v1/resets/${id}/approve`, headers: h.intake.auth('approver') });
    await h.until(id, 'succeeded');
    const series = (text: string, name: string): number | undefined => {
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      return line === undefined ? undefined : Number(line.slice(name.length + 1));
    };
    let text = '';
    // The worker adds its counts to Redis every second.
    await waitFor(async () => {
      const res = await h.intake.app.inject({ method: 'GET', url: '/metrics', headers: h.intake.auth('operator') });
      text = res.body;
      return (series(text, 'resetpc_graph_calls_total{route="resetPasscode",status="204"}') ?? 0) >= 1;
    }, 10_000, 'the resetPasscode call to be counted');
    expect(series(text, 'resetpc_graph_calls_total{route="resetPasscode",status="200"}')).toBeUndefined();
    expect(series(text, 'resetpc_graph_calls_total{route="getDevice",status="200"}')).toBeGreaterThanOrEqual(1);
  });

  it('makes no second resetPasscode when the answer to the first is lost', async () => {
    const device = FIXTURE_DEVICES.androidDedicated;
    fastAction(device);
    h.sandbox.control.injectFault({ method: 'POST', path: `/beta/deviceManagement/managedDevices/${device}/resetPasscode`, sequence: [{ kind: 'lostResponse' }] });
    const id = await request({ id: device });
    await h.until(id, 'awaiting_approval');
    await h.intake.app.inject({ method: 'POST', url: `/v1/resets/${id}/approve`, headers: h.intake.auth('approver') });
    await h.until(id, 'succeeded');
    expect(h.sandbox.control.resetPasscodeCount(device)).toBe(1);
  });

  it('never takes an earlier reset of the same device for its own, even when its own POST was throttled', async () => {
    const repeat = 'e0000000-0000-4000-8000-000000000001';
    const template = h.sandbox.control.device(FIXTURE_DEVICES.androidDedicated)?.device;
    if (template === undefined) throw new Error('the fixture device is missing');
    h.sandbox.control.upsertDevice({ device: { ...template, id: repeat, deviceName: 'AE-REPEAT-01', serialNumber: 'SBXREPEAT01' } });
    fastAction(repeat);
    const first = await request({ id: repeat });
    await h.until(first, 'awaiting_approval');
    await h.intake.app.inject({ method: 'POST', url: `/v1/resets/${first}/approve`, headers: h.intake.auth('approver') });
    await h.until(first, 'succeeded');
    expect(h.sandbox.control.resetPasscodeCount(repeat)).toBe(1);

    // Moments later, a second request for the same device: its first POST is throttled.
    h.sandbox.control.injectFault({ method: 'POST', path: `/beta/deviceManagement/managedDevices/${repeat}/resetPasscode`, sequence: [{ kind: 'status', status: 429, retryAfterSeconds: 1 }] });
    const second = await request({ id: repeat });
    await h.until(second, 'awaiting_approval');
    await h.intake.app.inject({ method: 'POST', url: `/v1/resets/${second}/approve`, headers: h.intake.auth('approver') });
    await h.until(second, 'succeeded');
    expect(h.sandbox.control.resetPasscodeCount(repeat)).toBe(2);
  });

  it('reports a failed action with its reason', async () => {
    const device = FIXTURE_DEVICES.androidCorporateWorkProfile;
    fastAction(device, 'failed');
    const id = await request({ id: device });
    await h.until(id, 'awaiting_approval');
    await h.intake.app.inject({ method: 'POST', url: `/v1/resets/${id}/approve`, headers: h.intake.auth('approver') });
    await h.until(id, 'failed');
    expect((await h.intake.store.get(id))?.workflow).toMatchObject({ outcomeReason: 'action_failed', actionState: 'failed' });
  });

  it('resets a device asked for in a signed Jira webhook, once approved in Jira', async () => {
    const device = FIXTURE_DEVICES.androidAosp;
    fastAction(device);
    const serial = h.sandbox.control.device(device)?.device.serialNumber ?? '';
    const issue = h.sandbox.jira.control.addIssue({ projectKey: 'HD', summary: 'Headset locked', reporter: 'anna@contoso.com', device: serial, approvals: [{ name: 'Manager', approvers: ['ben.manager@contoso.com'] }] });
    const sent = await h.sandbox.jira.control.sendIssueWebhook(issue.key, 'jira:issue_created', { intakeUrl: `${h.intakeUrl}/v1/webhooks/jira`, secret: 'jira-webhook-secret-for-tests-0001', maxAttempts: 1 });
    expect(sent.finalStatus).toBe(202);
    const id = (await h.intake.store.list({ ticket: issue.key }, 1)).items[0]?.id ?? '';
    await h.until(id, 'awaiting_approval');
    h.sandbox.jira.control.setApprovalDecision(issue.key, 'approved');
    await h.until(id, 'succeeded');
    expect(h.sandbox.control.resetPasscodeCount(device)).toBe(1);
  });

  it('never lets the passcode reach Redis or the logs', async () => {
    const keys = await h.intake.redis.keys(`${h.intake.prefix}*`);
    const dump: string[] = [];
    for (const key of keys) {
      const type = await h.intake.redis.type(key);
      if (type === 'string') dump.push((await h.intake.redis.get(key)) ?? '');
      if (type === 'hash') dump.push(JSON.stringify(await h.intake.redis.hgetall(key)));
      if (type === 'list') dump.push(...(await h.intake.redis.lrange(key, 0, -1)));
      if (type === 'zset') dump.push(...(await h.intake.redis.zrange(key, 0, -1)));
      if (type === 'stream') dump.push(JSON.stringify(await h.intake.redis.xrange(key, '-', '+')));
    }
    expect(dump.length).toBeGreaterThan(10);
    const everything = [...dump, ...h.workerLogs, ...h.intake.rawLogs].join('\n');
    expect(everything).not.toContain(SANDBOX_CANARY_PASSCODE_PREFIX);
    expect(everything).not.toContain(h.sandbox.clientSecret);
  });
});
