/**
 * The client's JSM calls against the simulated site: approvals (the workflow's approval source) and request
 * comments (internal notes and public replies). Each test names the JSM REST page it checks: "Get approvals"
 * (developer.atlassian.com/cloud/jira/service-desk/rest/api-group-request/#api-rest-servicedeskapi-request-issueidorkey-approval-get)
 * and "Create request comment" (…/api-group-request/#api-rest-servicedeskapi-request-issueidorkey-comment-post).
 * Page: https://developer.atlassian.com/cloud/jira/service-desk/rest/api-group-request/
 */
import { startJiraSim, type StartedJiraSim } from '@resetpc/sandbox/jira';
import { createJiraClient, JiraNotFoundError, type JiraClient } from '../../../src/ticketing/jira';

let sim: StartedJiraSim;
let jira: JiraClient;

beforeAll(async () => {
  sim = await startJiraSim();
  jira = createJiraClient({ siteUrl: sim.url, email: sim.credentials!.email, apiToken: sim.credentials!.apiToken });
});

afterAll(async () => {
  await sim.close();
});

function basic(): string {
  return `Basic ${Buffer.from(`${sim.credentials!.email}:${sim.credentials!.apiToken}`).toString('base64')}`;
}

describe('JSM REST: GET /rest/servicedeskapi/request/{issueIdOrKey}/approval', () => {
  it('answers a paged list of approvals with finalDecision, canAnswerApproval and each approver\'s decision', async () => {
    const res = await fetch(`${sim.url}/rest/servicedeskapi/request/HD-1/approval`, { headers: { authorization: basic() } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      size: 1,
      start: 0,
      limit: 50,
      isLastPage: true,
      _links: expect.any(Object),
      values: [
        {
          id: '1',
          name: 'Manager approval',
          finalDecision: 'pending',
          canAnswerApproval: false,
          approvers: [{ approver: { accountId: '5b10ac8d82e05b22cc7d4ef5', emailAddress: 'ben.manager@contoso.com', displayName: 'Ben Ortiz' }, approverDecision: 'pending' }],
          createdDate: { epochMillis: expect.any(Number), iso8601: expect.any(String) },
        },
      ],
    });
  });

  it('reads a pending approval, then the decision the control sets, with the approver who made it', async () => {
    sim.control.addIssue({ projectKey: 'HD', key: 'HD-30', summary: 'Locked out', reporter: 'anna@contoso.com', device: 'SN-30', approvals: [{ name: 'Manager approval', approvers: ['ben.manager@contoso.com', 'cleo.it@contoso.com'] }] });
    expect(await jira.getApprovals('HD-30')).toMatchObject({ finalDecision: 'pending', approvals: [{ finalDecision: 'pending' }] });

    sim.control.setApprovalDecision('HD-30', 'approved', { approver: 'ben.manager@contoso.com' });
    const approved = await jira.getApprovals('HD-30');
    expect(approved.finalDecision).toBe('approved');
    expect(approved.approvals[0]!.approvers).toEqual([
      { accountId: '5b10ac8d82e05b22cc7d4ef5', displayName: 'Ben Ortiz', emailAddress: 'ben.manager@contoso.com', decision: 'approved' },
      { accountId: '5d53f3cbc6b9320d9ea5bdc2', displayName: 'Cleo Park', emailAddress: 'cleo.it@contoso.com', decision: 'pending' },
    ]);
    expect(approved.approvals[0]!.completedAt).toEqual(expect.any(Number));
  });

  it('reports a declined approval as declined', async () => {
    sim.control.addIssue({ projectKey: 'HD', key: 'HD-31', summary: 'x', reporter: 'anna@contoso.com', approvals: [{ name: 'Manager approval', approvers: ['ben.manager@contoso.com'] }] });
    sim.control.setApprovalDecision('HD-31', 'declined');
    expect((await jira.getApprovals('HD-31')).finalDecision).toBe('declined');
  });

  it('reads every page and decides by the most recent approval; a request without approvals is "none"', async () => {
    sim.control.addIssue({ projectKey: 'HD', key: 'HD-32', summary: 'x', reporter: 'anna@contoso.com' });
    expect(await jira.getApprovals('HD-32')).toEqual({ finalDecision: 'none', approvals: [] });
    for (let i = 0; i < 55; i += 1) sim.control.addApproval('HD-32', { name: `Step ${i}`, approvers: ['ben.manager@contoso.com'] });
    for (const a of sim.control.issue('HD-32')!.approvals.slice(0, 54)) sim.control.setApprovalDecision('HD-32', 'approved', { approvalId: a.id });
    const all = await jira.getApprovals('HD-32');
    expect(all.approvals).toHaveLength(55);
    expect(all.finalDecision).toBe('pending');
    expect(sim.control.requests.filter((r) => r.path === '/rest/servicedeskapi/request/HD-32/approval').map((r) => r.query).slice(-2)).toEqual(['start=0&limit=50', 'start=50&limit=50']);
  });

  it('answers a non-JSM issue with 404 in the JSM error shape (errorMessage)', async () => {
    const res = await fetch(`${sim.url}/rest/servicedeskapi/request/OPS-1/approval`, { headers: { authorization: basic() } });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ errorMessage: 'Request does not exist or you do not have permission to see it.', i18nErrorMessage: expect.any(Object) });
    await expect(jira.getApprovals('OPS-1')).rejects.toBeInstanceOf(JiraNotFoundError);
  });
});

describe('JSM REST: POST /rest/servicedeskapi/request/{issueIdOrKey}/comment', () => {
  it('adds an internal note (public false) with 201 and records it as not public', async () => {
    const comment = await jira.addServiceDeskComment('HD-1', 'Passcode reset submitted for R58M123ABC.', false);
    expect(comment.id).toMatch(/^\d+$/);
    expect(comment.created).toEqual(expect.any(String));
    expect(sim.control.writes.at(-1)).toMatchObject({ method: 'POST', path: '/rest/servicedeskapi/request/HD-1/comment', body: { body: 'Passcode reset submitted for R58M123ABC.', public: false }, outcome: 201 });
    expect(sim.control.issue('HD-1')!.comments.at(-1)).toMatchObject({ public: false, via: 'servicedesk' });
  });

  it('adds a public reply (public true) that the customer sees', async () => {
    await jira.addServiceDeskComment('HD-1', 'Your passcode was reset.', true);
    expect(sim.control.issue('HD-1')!.comments.at(-1)).toMatchObject({ body: 'Your passcode was reset.', public: true });
  });

  it('answers the raw shape JSM documents: id, body, public, author and a DateDTO', async () => {
    const res = await fetch(`${sim.url}/rest/servicedeskapi/request/HD-1/comment`, { method: 'POST', headers: { authorization: basic(), 'content-type': 'application/json' }, body: JSON.stringify({ body: 'hello', public: false }) });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ id: expect.any(String), body: 'hello', public: false, author: { emailAddress: sim.credentials!.email }, created: { epochMillis: expect.any(Number) } });
  });

  it('refuses an empty comment with 400 as a permanent bad_request', async () => {
    await expect(jira.addServiceDeskComment('HD-1', '  ', false)).rejects.toMatchObject({ code: 'bad_request', status: 400, kind: 'permanent' });
  });
});
