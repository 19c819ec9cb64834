import type { Role } from '../../src/config/schema';
import { NOT_REQUIRED_APPROVER } from '../../src/domain/approval-policy';
import type { RequestState, ResetRequest } from '../../src/domain/request';
import type { WorkflowData } from '../../src/domain/workflow';
import { mayApprove, mayCancel, mayRetry, type ApprovalRules } from '../../src/ops/request-actions';
import type { OpsSession } from '../../src/ops/session';
import type { CurrentRequest } from '../../src/store/requests';

/** Which actions the dashboard offers, as a table: the viewer, the request, the policy → shown, or why not. */
const viewer = (name: string, ...roles: Role[]): OpsSession => ({ name, roles, csrf: 'x', createdAt: '2025-01-01T00:00:00.000Z' });
const approver = viewer('mia@contoso.com', 'approve');

function current(state: RequestState, request: Partial<ResetRequest> = {}, workflow: WorkflowData = {}): CurrentRequest {
  return {
    request: {
      id: '00000000-0000-4000-8000-000000000001',
      state,
      device: { kind: 'serialNumber', value: 'SN-1' },
      requestedBy: 'anna@contoso.com',
      linkedTickets: [],
      source: 'api',
      submittedBy: 'helpdesk-bot',
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-01-01T00:00:00.000Z',
      ...request,
    },
    workflow,
  };
}

const REQUIRED: ApprovalRules = { required: true, allowedApprovers: [] };

describe('mayApprove', () => {
  const rows: [string, OpsSession, CurrentRequest, ApprovalRules, boolean, RegExp | undefined][] = [
    ['offers Approve on an API request awaiting approval to another approver', approver, current('awaiting_approval'), REQUIRED, true, undefined],
    ['offers it before the eligibility check too, as the API accepts it', approver, current('received'), REQUIRED, true, undefined],
    ['offers it to admin, who holds every role', viewer('admin', 'admin'), current('awaiting_approval'), REQUIRED, true, undefined],
    ['hides it from a viewer without the approve role, saying nothing', viewer('operator', 'operate'), current('awaiting_approval'), REQUIRED, false, undefined],
    ['hides it on the viewer\'s own submission', viewer('Helpdesk-Bot', 'approve', 'submit'), current('awaiting_approval'), REQUIRED, false, /You submitted this request/],
    ['hides it from the requester', viewer(' ANNA@contoso.com ', 'approve'), current('awaiting_approval'), REQUIRED, false, /You asked for this reset/],
    ['hides it once an approval is recorded', approver, current('awaiting_approval', {}, { apiApproval: { by: 'lee@contoso.com', at: '2025-01-01T00:01:00.000Z' } }), REQUIRED, false, /Approved by lee@contoso\.com/],
    ['hides it once the request is approved', approver, current('approved', {}, { approver: 'lee@contoso.com' }), REQUIRED, false, /Approved by lee@contoso\.com/],
    ['hides it when policy approved it', approver, current('submitting', {}, { approver: NOT_REQUIRED_APPROVER }), REQUIRED, false, /policy does not require/],
    ['hides it after approval even with no approver recorded', approver, current('awaiting_device'), REQUIRED, false, undefined],
    ['hides it on a finished request', approver, current('failed'), REQUIRED, false, undefined],
    ['hides it on a ticket\'s request, pointing at the ticket', approver, current('awaiting_approval', { ticket: { system: 'jira', key: 'HD-7' }, source: 'jira' }), REQUIRED, false, /jira ticket HD-7/],
    ['hides it when policy needs no approval', approver, current('received'), { required: false, allowedApprovers: [] }, false, /policy does not require/],
    ['hides it from an approver off the allow-list', approver, current('awaiting_approval'), { required: true, allowedApprovers: ['lee@contoso.com'] }, false, /APPROVAL_ALLOWED_APPROVERS/],
    ['offers it to an approver on the allow-list, in any case', approver, current('awaiting_approval'), { required: true, allowedApprovers: ['MIA@contoso.com'] }, true, undefined],
  ];

  it.each(rows)('%s', (_name, who, request, rules, shown, why) => {
    const verdict = mayApprove(who, request, rules);
    expect(verdict.may).toBe(shown);
    const text = verdict.may ? undefined : verdict.why;
    if (why === undefined) expect(text).toBeUndefined();
    else expect(text).toMatch(why);
  });
});

describe('mayRetry and mayCancel', () => {
  const operator = viewer('operator', 'operate');
  const rows: [RequestState, boolean, boolean][] = [
    ['received', false, true],
    ['awaiting_approval', false, true],
    ['awaiting_device', false, true],
    ['failed', true, false],
    ['timed_out', true, false],
    ['succeeded', false, false],
    ['ineligible', false, false],
    ['cancelled', false, false],
  ];

  it.each(rows)('in %s: retry %s, cancel %s for an operator', (state, retry, cancel) => {
    expect(mayRetry(operator, current(state)).may).toBe(retry);
    expect(mayCancel(operator, current(state)).may).toBe(cancel);
  });

  it('offers neither to an approver', () => {
    expect(mayRetry(approver, current('failed')).may).toBe(false);
    expect(mayCancel(approver, current('received')).may).toBe(false);
  });
});
