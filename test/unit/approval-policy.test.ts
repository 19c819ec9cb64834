import { NOT_REQUIRED_APPROVER, decideApproval, nextApprovalCheckDelayMs, type ApprovalEvidence, type ApprovalOutcome, type ApprovalPolicy } from '../../src/domain/approval-policy';

const REQUESTER = 'Anna.Example@contoso.com';
const ANYONE: ApprovalPolicy = { required: true, allowSelfApproval: false, allowedApprovers: [] };
const ALLOW_LIST: ApprovalPolicy = { ...ANYONE, allowedApprovers: ['Lead@Contoso.com', 'api-approver'] };
const approved = (...approvers: string[]): ApprovalEvidence => ({ decision: 'approved', approvers });

/** The outcome in short: "approved:<who>", "pending", or "<reason>". */
const summary = (o: ApprovalOutcome): string => (o.kind === 'approved' ? `approved:${o.approver}` : o.kind === 'pending' ? 'pending' : o.reason);

describe('deciding an approval', () => {
  it.each([
    ['approved by someone else', approved('bob@contoso.com'), ANYONE, 'approved:bob@contoso.com'],
    ['approved by someone else, named in mixed case', approved('  Bob@Contoso.COM '), ANYONE, 'approved:bob@contoso.com'],
    ['approved only by the requester', approved('anna.example@contoso.com'), ANYONE, 'self_approval'],
    ['approved only by the requester, in another case', approved('ANNA.EXAMPLE@CONTOSO.COM'), ANYONE, 'self_approval'],
    ['approved by the requester and by someone else', approved('anna.example@contoso.com', 'bob@contoso.com'), ANYONE, 'approved:bob@contoso.com'],
    ['approved with no approver named', approved(), ANYONE, 'approver_not_allowed'],
    ['approved by someone on the allow-list', approved('lead@contoso.com'), ALLOW_LIST, 'approved:lead@contoso.com'],
    ['approved by an API token on the allow-list', approved('api-approver'), ALLOW_LIST, 'approved:api-approver'],
    ['approved by someone not on the allow-list', approved('bob@contoso.com'), ALLOW_LIST, 'approver_not_allowed'],
    ['approved by an outsider and by an allowed approver', approved('bob@contoso.com', 'lead@contoso.com'), ALLOW_LIST, 'approved:lead@contoso.com'],
    ['declined', { decision: 'declined', approvers: ['bob@contoso.com'] }, ANYONE, 'rejected'],
    ['declined with nobody named', { decision: 'declined', approvers: [] }, ANYONE, 'rejected'],
    ['still pending', { decision: 'pending', approvers: [] }, ANYONE, 'pending'],
    ['not required by policy, even when pending', { decision: 'pending', approvers: [] }, { ...ANYONE, required: false }, `approved:${NOT_REQUIRED_APPROVER}`],
  ] as [string, ApprovalEvidence, ApprovalPolicy, string][])('%s: %s', (_case, evidence, policy, expected) => {
    expect(summary(decideApproval(evidence, REQUESTER, policy))).toBe(expected);
  });

  it('refuses self-approval even by someone on the allow-list', () => {
    expect(summary(decideApproval(approved('lead@contoso.com'), 'Lead@Contoso.com', ALLOW_LIST))).toBe('self_approval');
  });

  it.each([
    [approved('anna.example@contoso.com'), ANYONE, 'anna.example@contoso.com requested this reset and cannot also approve it; someone else must approve.'],
    [approved('bob@contoso.com', 'eve@contoso.com'), ALLOW_LIST, 'Approved by bob@contoso.com, eve@contoso.com, who are not on the list of allowed approvers.'],
    [{ decision: 'declined', approvers: ['Bob@contoso.com'] }, ANYONE, 'The reset was declined by bob@contoso.com.'],
  ] as [ApprovalEvidence, ApprovalPolicy, string][])('explains a refusal: %o', (evidence, policy, message) => {
    expect(decideApproval(evidence, REQUESTER, policy)).toMatchObject({ kind: 'rejected', message });
  });
});

describe('re-checking a pending approval', () => {
  it.each([
    [1, 30_000],
    [2, 60_000],
    [3, 120_000],
    [4, 240_000],
    [5, 480_000],
    [6, 900_000],
    [50, 900_000],
    [Number.POSITIVE_INFINITY, 900_000],
    [0, 30_000],
    [-3, 30_000],
    [Number.NaN, 30_000],
  ])('waits, before check %p, %p ms', (attempt, ms) => {
    expect(nextApprovalCheckDelayMs(attempt)).toBe(ms);
  });

  it('never waits less than before', () => {
    const delays = Array.from({ length: 40 }, (_, i) => nextApprovalCheckDelayMs(i + 1));
    expect(delays).toEqual([...delays].sort((a, b) => a - b));
  });
});
