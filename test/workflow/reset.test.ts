import { FIXTURE_DEVICES, SANDBOX_CANARY_PASSCODE_PREFIX } from '../../src/sandbox';
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
    await h.until(id, 'succeeded');
    expect(h.sandbox.control.resetPasscodeCount(device)).toBe(1);
    const stored = await h.intake.store.get(id);
    expect(stored?.timeline.map((t) => t.to)).toEqual(['received', 'checking_eligibility', 'awaiting_approval', 'awaiting_approval', 'approved', 'submitting', 'awaiting_device', 'succeeded']);
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

  it('lists the candidates when two devices share the name', async () => {
    const id = await request({ deviceName: 'FRONTDESK-TAB' });
    await h.until(id, 'ineligible');
    const stored = await h.intake.store.get(id);
    expect(stored?.workflow.outcomeReason).toBe('device_ambiguous');
    expect(stored?.workflow.candidates?.map((c) => c.id).sort()).toEqual([FIXTURE_DEVICES.sharedNameFirst, FIXTURE_DEVICES.sharedNameSecond]);
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
