import { FIXTURE_DEVICES } from '@resetpc/sandbox';
import { FIXTURE_ACCOUNTS } from '@resetpc/sandbox/jira';
import { JIRA_SECRET } from '../support/intake';
import { startWorkflowHarness, type WorkflowHarness } from '../support/workflow';
import { waitFor } from '../support/env';

/**
 * Issue 11, section 4: Jira identities are account ids. Since Atlassian's user-privacy changes, `emailAddress` on a
 * user, in REST answers and in webhook deliveries, follows the person's profile visibility and is often absent
 * (developer.atlassian.com/cloud/jira/platform/deprecation-notice-user-privacy-api-migration-guide/; public reports
 * getsentry/sentry-docs#1020, apache/devlake#2270). The sandbox hides emails per account, in every user object.
 * A ticket must become a request whatever the reporter's visibility, and the no-self-approval rule must compare
 * accountIds end to end.
 */
describe('Jira identities are account ids', () => {
  let h: WorkflowHarness;
  const { anna, ben } = FIXTURE_ACCOUNTS;

  beforeAll(async () => {
    h = await startWorkflowHarness('jiraids');
  }, 30_000);

  afterAll(async () => {
    await h.close();
  });

  afterEach(() => {
    h.sandbox.jira.control.setEmailHidden(anna.accountId, false);
    h.sandbox.jira.control.setEmailHidden(ben.accountId, false);
  });

  const serialOf = (deviceId: string): string => h.sandbox.control.device(deviceId)?.device.serialNumber ?? '';

  async function deliver(deviceId: string, approvers: readonly string[]): Promise<{ key: string; id: string }> {
    const issue = h.sandbox.jira.control.addIssue({
      projectKey: 'HD',
      summary: 'Locked out of my phone',
      reporter: anna.accountId,
      device: serialOf(deviceId),
      requestType: { id: '12', name: 'Reset device passcode' },
      approvals: [{ name: 'Manager approval', approvers }],
    });
    const sent = await h.sandbox.jira.control.sendIssueWebhook(issue.key, 'jira:issue_created', { intakeUrl: `${h.intakeUrl}/v1/webhooks/jira`, secret: JIRA_SECRET });
    expect(sent.finalStatus).toBe(202);
    const id = (await h.intake.store.list({ ticket: issue.key }, 1)).items[0]?.id ?? '';
    await h.until(id, 'awaiting_approval');
    return { key: issue.key, id };
  }

  it('turns a delivery whose reporter hides their email into a request that runs to the end, answered in the ticket', async () => {
    const device = FIXTURE_DEVICES.androidDedicated;
    h.sandbox.control.scriptAction(device, { outcome: 'done', activeAfterMs: 10, finalAfterMs: 40 });
    h.sandbox.jira.control.setEmailHidden(anna.accountId, true);
    h.sandbox.jira.control.setEmailHidden(ben.accountId, true);
    const { key, id } = await deliver(device, [ben.accountId]);
    const stored = await h.intake.store.get(id);
    expect(stored?.request).toMatchObject({ requestedBy: `atlassian:${anna.accountId}`, requesterAccount: { accountId: anna.accountId, displayName: anna.displayName } });
    h.sandbox.jira.control.setApprovalDecision(key, 'approved');
    await h.until(id, 'succeeded');
    expect((await h.intake.store.get(id))?.workflow.approver).toBe(ben.accountId.toLowerCase());
    expect(h.sandbox.control.resetPasscodeCount(device)).toBe(1);
    await waitFor(() => (h.sandbox.jira.control.issue(key)?.comments.length ?? 0) > 0, 10_000, 'the result in the ticket');
  });

  it('refuses a reporter who approves their own JSM request while emails are hidden', async () => {
    const device = FIXTURE_DEVICES.androidCorporateWorkProfile;
    // The delivery showed Anna's email; her email is hidden from the approvals API: an email and an id never meet.
    const { key, id } = await deliver(device, [anna.accountId]);
    expect((await h.intake.store.get(id))?.request.requestedBy).toBe(anna.emailAddress);
    h.sandbox.jira.control.setEmailHidden(anna.accountId, true);
    h.sandbox.jira.control.setApprovalDecision(key, 'approved');
    await h.until(id, 'rejected');
    expect((await h.intake.store.get(id))?.workflow.outcomeReason).toBe('self_approval');
    expect(h.sandbox.control.resetPasscodeCount(device)).toBe(0);
  });

  it('refuses self-approval when every email is hidden all along', async () => {
    const device = FIXTURE_DEVICES.androidPersonalWorkProfile;
    h.sandbox.jira.control.setEmailHidden(anna.accountId, true);
    const { key, id } = await deliver(device, [anna.accountId]);
    h.sandbox.jira.control.setApprovalDecision(key, 'approved');
    await h.until(id, 'rejected');
    expect((await h.intake.store.get(id))?.workflow.outcomeReason).toBe('self_approval');
    expect(h.sandbox.control.resetPasscodeCount(device)).toBe(0);
  });
});
