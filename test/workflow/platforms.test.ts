/**
 * Platforms as Microsoft documents them today (issue 11 §3), through the whole product: a ServiceNow ticket, the
 * intake, the reset and notify workers, the sandbox's Graph, ServiceNow and SMTP. Sources:
 * - Learn, "Reset or remove a device passcode" (learn.microsoft.com/mem/intune/remote-actions/device-passcode-reset):
 *   "Android Enterprise devices enrolled as Device Owner" (fully managed) get a device-level passcode reset;
 * - Learn, "PIN reset" (learn.microsoft.com/windows/security/identity-protection/hello-for-business/pin-reset): on
 *   Windows the user resets their own Windows Hello PIN at the sign-in screen ("I forgot my PIN"); the Microsoft PIN
 *   Reset Service and Client apps and PIN recovery make that reset non-destructive;
 * - learn.microsoft.com/graph/api/intune-devices-manageddevice-resetpasscode (the only Graph write the product has).
 */
import { DeliveryLedger } from '../../src/notify/ledger';
import { FIXTURE_CONFIGURATIONS, FIXTURE_DEVICES } from '@resetpc/sandbox';
import { SN_FIXTURE } from '@resetpc/sandbox/servicenow';
import { waitFor } from '../support/env';
import { SERVICENOW_SECRET } from '../support/intake';
import { startWorkflowHarness, type WorkflowHarness } from '../support/workflow';

describe('platforms as Microsoft documents them today', () => {
  let h: WorkflowHarness;
  let ledger: DeliveryLedger;
  let serial = 0;

  beforeAll(async () => {
    h = await startWorkflowHarness('platforms', { NOTIFY_BACKOFF_BASE_MS: '50', NOTIFY_BACKOFF_MAX_MS: '500' }, { smtp: true });
    ledger = new DeliveryLedger(h.intake.redis, h.intake.prefix);
  });

  afterAll(async () => {
    await h.close();
  });

  /** A device of this test's own: a copy of a fixture, with a quick reset. */
  function copyOf(template: string, name: string): { id: string; serial: string; name: string } {
    serial += 1;
    const seed = h.sandbox.control.device(template)?.device;
    if (seed === undefined) throw new Error('fixture device missing');
    const id = `e6000000-0000-4000-8000-${String(serial).padStart(12, '0')}`;
    const copy = { ...seed, id, deviceName: `${name}-${serial}`, serialNumber: `SBXPLAT${serial}` };
    h.sandbox.control.upsertDevice({ device: copy, resetScript: { outcome: 'done', activeAfterMs: 10, finalAfterMs: 40 } });
    return { id, serial: copy.serialNumber, name: copy.deviceName };
  }

  /** A ServiceNow incident for the device, delivered to the intake: the request's id and the incident. */
  async function ticketFor(deviceSerial: string): Promise<{ id: string; number: string; sysId: string }> {
    const record = h.sandbox.servicenow.control.addIncident({ requester: SN_FIXTURE.users.requester.user_name, u_device_serial: deviceSerial, short_description: 'Locked out' });
    const delivery = await h.sandbox.servicenow.control.sendWebhook(record.number ?? '', { intakeUrl: `${h.intakeUrl}/v1/webhooks/servicenow`, secret: SERVICENOW_SECRET });
    expect(delivery.status).toBe(202);
    const id = (await h.intake.store.list({ ticket: record.number ?? '' }, 1)).items[0]?.id ?? '';
    return { id, number: record.number ?? '', sysId: record.sys_id };
  }

  async function delivered(id: string, event: string, channels: readonly string[] = ['ticket', 'email']): Promise<void> {
    for (const channel of channels) {
      await waitFor(async () => (await ledger.get(`${id}|${event}|${channel}`))?.state === 'delivered', 20_000, `${id}|${event}|${channel} to be delivered`);
    }
  }

  const notes = (sysId: string): string[] => h.sandbox.servicenow.control.journal(sysId, 'work_notes').map((n) => n.value);
  const mailFor = (number: string) => h.sandbox.smtp?.messages.find((m) => m.subject.includes(`[${number}]`));
  /** Every Graph call that was not a read, since `from`. */
  const writesSince = (from: number) => h.sandbox.control.calls.slice(from).filter((c) => c.method !== 'GET');

  it('ends a Windows desktop request in self-service: the ticket and the email say what the user does at the sign-in screen, and nothing is written to Graph', async () => {
    const device = copyOf(FIXTURE_DEVICES.windowsDesktop, 'DESKTOP-SELF');
    const from = h.sandbox.control.calls.length;
    const { id, number, sysId } = await ticketFor(device.serial);
    await h.until(id, 'ineligible');
    const stored = await h.intake.store.get(id);
    expect(stored?.workflow).toMatchObject({ managedDeviceId: device.id, outcomeReason: 'self_service' });
    expect(stored?.timeline.at(-1)).toMatchObject({ to: 'ineligible', details: { rule: 'windows_desktop' } });
    await delivered(id, 'ineligible');
    // No reset, and no Graph write of any kind: only reads (the device, and the tenant prerequisites).
    expect(h.sandbox.control.resetPasscodeCount(device.id)).toBe(0);
    expect(writesSince(from)).toEqual([]);
    expect(h.sandbox.control.calls.slice(from).some((c) => c.path.startsWith('/beta/deviceManagement/configurationPolicies'))).toBe(true);

    const [note] = notes(sysId);
    expect(notes(sysId)).toHaveLength(1);
    for (const text of [note ?? '', mailFor(number)?.text ?? '']) {
      expect(text).toContain('No passcode reset was sent, and none is needed');
      expect(text).toContain('Outcome: Self-service PIN reset');
      expect(text).toContain('"I forgot my PIN"');
      expect(text).toContain('signs in with their work account and multifactor authentication, and sets a new PIN');
      expect(text).toContain('https://learn.microsoft.com/windows/security/identity-protection/hello-for-business/pin-reset#user-experience');
      expect(text).not.toMatch(/Verify the caller|does not qualify/);
    }
    expect(mailFor(number)?.subject).toContain('Self-service PIN reset');
    expect(mailFor(number)?.html).toContain('&quot;I forgot my PIN&quot;');
  });

  it('names the prerequisite an administrator must fix first, with its Learn link, when the tenant lacks PIN recovery', async () => {
    const state = h.sandbox.control.state;
    const saved = { configurations: state.deviceConfigurations };
    state.deviceConfigurations = saved.configurations.filter((c) => c.configuration.id !== FIXTURE_CONFIGURATIONS.pinRecovery);
    // The facts are cached for 15 minutes: a tenant changed by its admin is seen at the next read.
    await h.intake.redis.del(`${h.intake.prefix}:graph:tenant-facts:${h.sandbox.tenantId}`);
    try {
      const device = copyOf(FIXTURE_DEVICES.windowsDesktop, 'DESKTOP-ADMIN');
      const from = h.sandbox.control.calls.length;
      const { id, number, sysId } = await ticketFor(device.serial);
      await h.until(id, 'ineligible');
      expect((await h.intake.store.get(id))?.workflow.outcomeReason).toBe('self_service_needs_pin_recovery');
      await delivered(id, 'ineligible');
      expect(h.sandbox.control.resetPasscodeCount(device.id)).toBe(0);
      expect(writesSince(from)).toEqual([]);
      for (const text of [notes(sysId)[0] ?? '', mailFor(number)?.text ?? '']) {
        expect(text).toContain('Outcome: Self-service PIN reset after an administrator acts');
        expect(text).toContain('an administrator must first turn on PIN recovery');
        expect(text).toContain('destructive reset');
        expect(text).toContain('https://learn.microsoft.com/windows/security/identity-protection/hello-for-business/pin-reset#enable-pin-recovery-on-the-clients');
      }
    } finally {
      state.deviceConfigurations = saved.configurations;
      await h.intake.redis.del(`${h.intake.prefix}:graph:tenant-facts:${h.sandbox.tenantId}`);
    }
  });

  it('resets the device passcode of an Android fully managed device, and tells the approver, the ticket and the email so', async () => {
    const device = copyOf(FIXTURE_DEVICES.androidFullyManaged, 'AE-FM-PLAT');
    const { id, number, sysId } = await ticketFor(device.serial);
    await h.until(id, 'awaiting_approval');
    const waiting = await h.intake.store.get(id);
    expect(waiting?.workflow).toMatchObject({ effect: 'device_passcode_reset' });
    expect(waiting?.workflow.eligibilityNotes).toContain('Android Enterprise fully managed (Device Owner): the reset changes the device passcode, not a work-profile passcode.');
    // The approver reads the ticket's note before approving.
    await delivered(id, 'awaiting_approval', ['ticket']);
    const [asked] = notes(sysId);
    expect(asked?.split('\n').slice(0, 2)).toEqual([
      'The device qualifies for a passcode reset. The reset waits for approval.',
      'The reset changes the device passcode: the screen lock of the whole device. The new passcode is shown in the Intune admin center and is entered on the device.',
    ]);
    // What the API shows an approver, too.
    const shown = await h.intake.app.inject({ method: 'GET', url: `/v1/resets/${id}`, headers: h.intake.auth('operator') });
    expect(shown.json()).toMatchObject({ progress: { effect: 'device_passcode_reset' } });

    h.sandbox.servicenow.control.addApproval({ task: sysId, approver: SN_FIXTURE.users.approver.user_name, state: 'approved' });
    await h.until(id, 'succeeded', 20_000);
    await delivered(id, 'succeeded');
    expect(h.sandbox.control.resetPasscodeCount(device.id)).toBe(1);
    const done = notes(sysId).find((n) => n.startsWith('The passcode of the device was reset.')) ?? '';
    const mail = mailFor(number);
    for (const text of [done, mail?.text ?? '', mail?.html ?? '']) {
      expect(text).toContain('The reset changes the device passcode: the screen lock of the whole device.');
      expect(text).not.toMatch(/work-profile/);
    }
    const closeNotes = h.sandbox.servicenow.control.record('incident', sysId)?.close_notes;
    expect(closeNotes).toContain('the screen lock of the whole device');
  });
});
