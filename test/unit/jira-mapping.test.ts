import { mapJiraDelivery, type IgnoredWhy, type JiraMapping } from '../../src/domain/jira-mapping';
import { jiraIssueCreated } from '../support/webhooks';

const mapping: JiraMapping = {
  projects: ['HD'],
  issueTypes: [],
  requestTypes: ['Reset device passcode'],
  requestTypeField: 'customfield_10010',
  deviceField: 'customfield_10050',
  deviceKind: 'serialNumber',
};

describe('Jira mapping', () => {
  it('maps a matching issue to a request', () => {
    expect(mapJiraDelivery(jiraIssueCreated({ key: 'HD-1', serial: 'R58M1' }), mapping)).toEqual({
      kind: 'request',
      device: { kind: 'serialNumber', value: 'R58M1' },
      requestedBy: 'anna@contoso.com',
      requesterAccount: { accountId: '5b10a2844c20165700ede21g', displayName: 'Anna Lee' },
      reason: 'Jira HD-1: My phone is locked, please reset my passcode',
      ticket: { system: 'jira', key: 'HD-1' },
    });
  });

  it.each<[string, Parameters<typeof jiraIssueCreated>[0], Partial<JiraMapping>, string, IgnoredWhy]>([
    ['another project', { key: 'OPS-1', serial: 'A1' }, {}, 'project OPS is not configured', 'not_in_scope'],
    ['another issue type', { key: 'HD-1', serial: 'A1', issueType: 'Bug' }, { issueTypes: ['Service Request'] }, 'issue type Bug is not configured', 'not_in_scope'],
    ['another request type', { key: 'HD-1', serial: 'A1' }, { requestTypes: ['New laptop'] }, 'request type Reset device passcode is not configured', 'not_in_scope'],
    ['a deleted issue event', { key: 'HD-1', serial: 'A1', event: 'jira:issue_deleted' }, {}, 'event jira:issue_deleted does not trigger resets', 'not_a_trigger'],
    ['no device', { key: 'HD-1' }, {}, 'field customfield_10050 holds no device', 'no_device'],
    ['a device that is not a GUID', { key: 'HD-1', serial: 'A1' }, { deviceKind: 'id' }, 'field customfield_10050 does not hold a valid id', 'no_device'],
  ])('ignores %s, with the reason', (_label, delivery, overrides, reason, why) => {
    expect(mapJiraDelivery(jiraIssueCreated(delivery), { ...mapping, ...overrides })).toEqual({ kind: 'ignored', why, reason });
  });

  it('makes a request whose reporter hides their email: the requester is the reporter\'s account', () => {
    const result = mapJiraDelivery(jiraIssueCreated({ key: 'HD-5', serial: 'A1', reporter: '' }), mapping);
    expect(result).toMatchObject({
      kind: 'request',
      requestedBy: 'atlassian:5b10a2844c20165700ede21g',
      requesterAccount: { accountId: '5b10a2844c20165700ede21g', displayName: 'Anna Lee' },
    });
  });

  it('ignores an issue with no reporter account, with the reason', () => {
    const delivery = jiraIssueCreated({ key: 'HD-6', serial: 'A1' });
    const fields = { ...delivery.issue.fields, reporter: null };
    expect(mapJiraDelivery({ ...delivery, issue: { ...delivery.issue, fields } }, mapping)).toEqual({ kind: 'ignored', why: 'no_requester', reason: 'the issue has no reporter account' });
  });

  it('reads select-list custom fields and trims the value', () => {
    const delivery = jiraIssueCreated({ key: 'HD-2' });
    const fields = { ...delivery.issue.fields, customfield_10050: { value: '  R58M2 ' } };
    const result = mapJiraDelivery({ ...delivery, issue: { ...delivery.issue, fields } }, mapping);
    expect(result).toMatchObject({ kind: 'request', device: { value: 'R58M2' } });
  });

  it('does not read inherited properties as fields', () => {
    const delivery = jiraIssueCreated({ key: 'HD-3' });
    expect(mapJiraDelivery(delivery, { ...mapping, deviceField: 'constructor' })).toEqual({ kind: 'ignored', why: 'no_device', reason: 'field constructor holds no device' });
  });
});
