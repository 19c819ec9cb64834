import { FIXTURE_DEVICES } from '@resetpc/sandbox';
import { SN_FIXTURE } from '@resetpc/sandbox/servicenow';
import { SERVICENOW_SECRET } from '../support/intake';
import { startWorkflowHarness, type WorkflowHarness } from '../support/workflow';

/** Every approval outcome, read from the ticket's system of record (ServiceNow here) or given through the API. */
describe('approvals in the workflow', () => {
  let h: WorkflowHarness;

  beforeAll(async () => {
    h = await startWorkflowHarness('approvals');
  });

  afterAll(async () => {
    await h.close();
  });

  /** A new incident for `requester` about a simulated device, delivered by the Business Rule's signed webhook. */
  async function incident(deviceId: string, requester = SN_FIXTURE.users.requester.user_name): Promise<{ id: string; sysId: string }> {
    h.sandbox.control.scriptAction(deviceId, { outcome: 'done', activeAfterMs: 10, finalAfterMs: 40 });
    const serial = h.sandbox.control.device(deviceId)?.device.serialNumber ?? '';
    const record = h.sandbox.servicenow.control.addIncident({ requester, u_device_serial: serial, short_description: 'Phone locked' });
    const number = record.number ?? '';
    const delivery = await h.sandbox.servicenow.control.sendWebhook(number, { intakeUrl: `${h.intakeUrl}/v1/webhooks/servicenow`, secret: SERVICENOW_SECRET });
    expect(delivery.status).toBe(202);
    const id = (await h.intake.store.list({ ticket: number }, 1)).items[0]?.id ?? '';
    await h.until(id, 'awaiting_approval');
    return { id, sysId: record.sys_id };
  }

  it('submits once another person approves in ServiceNow', async () => {
    const { id, sysId } = await incident(FIXTURE_DEVICES.androidDedicated);
    h.sandbox.servicenow.control.addApproval({ task: sysId, approver: SN_FIXTURE.users.approver.user_name, state: 'approved' });
    await h.until(id, 'succeeded');
    expect((await h.intake.store.get(id))?.workflow.approver).toBe(SN_FIXTURE.users.approver.email);
  });

  it('rejects when the approver declines in ServiceNow', async () => {
    const { id, sysId } = await incident(FIXTURE_DEVICES.androidFullyManaged);
    h.sandbox.servicenow.control.addApproval({ task: sysId, approver: SN_FIXTURE.users.approver.user_name, state: 'rejected' });
    await h.until(id, 'rejected');
    expect((await h.intake.store.get(id))?.workflow.outcomeReason).toBe('rejected');
    expect(h.sandbox.control.resetPasscodeCount(FIXTURE_DEVICES.androidFullyManaged)).toBe(0);
  });

  it('refuses self-approval: the requester approving their own ticket', async () => {
    const { id, sysId } = await incident(FIXTURE_DEVICES.androidCorporateWorkProfile);
    h.sandbox.servicenow.control.addApproval({ task: sysId, approver: SN_FIXTURE.users.requester.user_name, state: 'approved' });
    await h.until(id, 'rejected');
    const stored = await h.intake.store.get(id);
    expect(stored?.workflow.outcomeReason).toBe('self_approval');
    expect(h.sandbox.control.resetPasscodeCount(FIXTURE_DEVICES.androidCorporateWorkProfile)).toBe(0);
  });

  /**
   * A requested item from the catalog: its approval may sit on the item or on its parent request (sc_request), as the
   * default catalog workflow puts it (ServiceNow docs, "Service Catalog approvals"; sysapproval_approver.sysapproval
   * names the task approved). Both are read.
   */
  async function requestedItem(deviceId: string): Promise<{ id: string; parent: string }> {
    h.sandbox.control.scriptAction(deviceId, { outcome: 'done', activeAfterMs: 10, finalAfterMs: 40 });
    const serial = h.sandbox.control.device(deviceId)?.device.serialNumber ?? '';
    const item = h.sandbox.servicenow.control.addRequestedItem({ requester: SN_FIXTURE.users.requester.user_name, short_description: 'Reset my phone passcode' });
    const delivery = await h.sandbox.servicenow.control.sendWebhook(item.number ?? '', { intakeUrl: `${h.intakeUrl}/v1/webhooks/servicenow`, secret: SERVICENOW_SECRET, deviceSerial: serial });
    expect(delivery.status).toBe(202);
    const id = (await h.intake.store.list({ ticket: item.number ?? '' }, 1)).items[0]?.id ?? '';
    await h.until(id, 'awaiting_approval');
    return { id, parent: item.request ?? '' };
  }

  it('reads a requested item\'s approval on its parent request too', async () => {
    const { id, parent } = await requestedItem(FIXTURE_DEVICES.windowsMobileAadJoined);
    expect(parent).not.toBe('');
    h.sandbox.servicenow.control.addApproval({ task: parent, approver: SN_FIXTURE.users.approver.user_name, state: 'approved' });
    await h.until(id, 'succeeded');
  });

  it('rejects when the parent request of a requested item is rejected', async () => {
    const { id, parent } = await requestedItem(FIXTURE_DEVICES.androidPersonalWorkProfile);
    h.sandbox.servicenow.control.addApproval({ task: parent, approver: SN_FIXTURE.users.approver.user_name, state: 'rejected' });
    await h.until(id, 'rejected');
    expect((await h.intake.store.get(id))?.workflow.outcomeReason).toBe('rejected');
  });

  it('expires a request nobody approves before the deadline', async () => {
    const { id } = await incident(FIXTURE_DEVICES.androidAosp);
    // Time travel: the deadline passes.
    await h.pastDeadline(id, 'approvalDeadline', 'expired', 20_000);
    expect((await h.intake.store.get(id))?.timeline.at(-1)?.reason).toBe('no approval before the deadline');
  });
});
