/**
 * The product's Jira client against the simulated site over real HTTP: issues, ADF comments and transitions.
 * Each test names the Atlassian REST v3 page whose shapes and status codes it checks.
 */
import { startJiraSim, type StartedJiraSim } from '@resetpc/sandbox/jira';
import { adf, createJiraClient, JiraNotFoundError, JiraPermanentError, JiraTransitionNotFoundError, type JiraClient } from '../../../src/ticketing/jira';

let sim: StartedJiraSim;
let jira: JiraClient;

beforeAll(async () => {
  sim = await startJiraSim();
  const { email, apiToken } = sim.credentials!;
  jira = createJiraClient({ siteUrl: sim.url, email, apiToken, timeoutMs: 5000 });
});

afterAll(async () => {
  await sim.close();
});

describe('REST v3: GET /rest/api/3/issue/{issueIdOrKey}', () => {
  it('returns the issue with project, type, status, reporter email, JSM request type and device field', async () => {
    const issue = await jira.getIssue('HD-1');
    expect(issue).toMatchObject({ key: 'HD-1', projectKey: 'HD', issueType: 'Service Request', summary: 'Locked out of my work phone', status: { name: 'Waiting for support', categoryKey: 'new' } });
    expect(issue.reporter).toEqual({ accountId: '5b10a2844c20165700ede21g', displayName: 'Anna Lee', emailAddress: 'anna@contoso.com' });
    expect(issue.fields.customfield_10010).toMatchObject({ requestType: { id: '12', name: 'Reset device passcode' } });
    expect(issue.fields.customfield_10050).toBe('R58M123ABC');
  });

  it('returns only the requested fields when asked', async () => {
    const issue = await jira.getIssue('HD-1', { fields: ['summary', 'status'] });
    expect(Object.keys(issue.fields).sort()).toEqual(['status', 'summary']);
  });

  it('answers an unknown issue with 404 in Jira\'s error shape, which the client reports as not_found (permanent)', async () => {
    const raw = await fetch(`${sim.url}/rest/api/3/issue/HD-999`, { headers: { authorization: `Basic ${Buffer.from(`${sim.credentials!.email}:${sim.credentials!.apiToken}`).toString('base64')}` } });
    expect(raw.status).toBe(404);
    expect(await raw.json()).toEqual({ errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} });

    const err = await jira.getIssue('HD-999').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JiraNotFoundError);
    expect(err).toMatchObject({ code: 'not_found', kind: 'permanent', status: 404 });
    expect((err as Error).message).toContain('Issue does not exist');
  });

  it('refuses a malformed issue key before any request, so nothing odd reaches a URL', async () => {
    const before = sim.control.requests.length;
    for (const key of ['hd-1', 'HD-0', '../HD-1', 'HD-1/comment', 'H-1']) {
      await expect(jira.getIssue(key)).rejects.toMatchObject({ code: 'invalid_issue_key', kind: 'permanent' });
    }
    expect(sim.control.requests).toHaveLength(before);
  });
});

describe('REST v3: POST /rest/api/3/issue/{issueIdOrKey}/comment', () => {
  it('accepts the builder\'s ADF document (paragraphs, marks, link, list, code, hard break) with 201', async () => {
    const body = adf.doc(
      adf.heading(3, 'Passcode reset succeeded'),
      adf.paragraph('Device ', adf.strong('Anna\'s phone'), ' was reset.', adf.hardBreak(), adf.em('Verify the caller first.')),
      adf.paragraph('Read it in the ', adf.link('Intune admin center', 'https://intune.microsoft.com/#view/x'), ' until ', adf.code('2026-03-09'), '.'),
      adf.bulletList('Ticket HD-1', [adf.text('Request '), adf.link('abc', 'https://resetpc.example.com/requests/abc')]),
      adf.codeBlock('errorCode: 0'),
    );
    const comment = await jira.addComment('HD-1', body);
    expect(comment.id).toMatch(/^\d+$/);
    expect(comment.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    const write = sim.control.writes.at(-1)!;
    expect(write).toMatchObject({ method: 'POST', path: '/rest/api/3/issue/HD-1/comment', outcome: 201, account: sim.credentials!.email });
    expect(write.body).toEqual({ body });
    expect(sim.control.issue('HD-1')!.comments.at(-1)).toMatchObject({ body, via: 'platform' });
  });

  it.each([
    ['a plain string instead of a document', 'reset done'],
    ['an unknown mark', { version: 1, type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'x', marks: [{ type: 'bold' }] }] }] }],
    ['an empty text node', { version: 1, type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text: '' }] }] }],
    ['a link without href', { version: 1, type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'x', marks: [{ type: 'link', attrs: {} }] }] }] }],
    ['text directly in the document', { version: 1, type: 'doc', content: [{ type: 'text', text: 'x' }] }],
    ['version 2', { version: 2, type: 'doc', content: [] }],
  ])('refuses a comment body with %s: 400 with an errors shape, a permanent bad_request', async (_label, body) => {
    const err = await jira.addComment('HD-1', body as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JiraPermanentError);
    expect(err).toMatchObject({ code: 'bad_request', status: 400 });
    expect((err as Error).message).toMatch(/comment: Comment body is not valid!/);
    expect(sim.control.requests.at(-1)!.outcome).toBe(400);
  });

  it('names the first problem by its path in the document', async () => {
    const broken = { version: 1, type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'ok' }, { type: 'text', text: 'x', marks: [{ type: 'code' }, { type: 'strong' }] }] }] };
    await expect(jira.addComment('HD-1', broken as never)).rejects.toThrow('content[0].content[1].marks: the code mark combines only with link');
  });
});

describe('REST v3: GET and POST /rest/api/3/issue/{issueIdOrKey}/transitions', () => {
  it('lists the transitions available from the current status, with ids of the project\'s own workflow', async () => {
    const hd = await jira.getTransitions('HD-1');
    expect(hd).toEqual([
      { id: '11', name: 'Start progress', to: 'In Progress' },
      { id: '21', name: 'Resolve', to: 'Resolved' },
      { id: '31', name: 'Escalate', to: 'In Progress' },
    ]);
    const ops = await jira.getTransitions('OPS-1');
    expect(ops.map((t) => [t.name, t.id])).toEqual([['Start progress', '711'], ['Done', '721']]);
  });

  it('performs a transition found by name, case-insensitively, with the id of that issue\'s workflow (204)', async () => {
    sim.control.addIssue({ projectKey: 'OPS', key: 'OPS-2', summary: 'Kiosk', reporter: 'cleo.it@contoso.com' });
    const used = await jira.transitionByName('OPS-2', 'start PROGRESS');
    expect(used.id).toBe('711');
    expect(sim.control.writes.at(-1)).toMatchObject({ path: '/rest/api/3/issue/OPS-2/transitions', body: { transition: { id: '711' } }, outcome: 204 });
    expect(sim.control.issue('OPS-2')!.status.name).toBe('In Progress');
  });

  it('falls back to the target status name when no transition has that name', async () => {
    sim.control.addIssue({ projectKey: 'HD', key: 'HD-20', summary: 'x', reporter: 'anna@contoso.com' });
    const used = await jira.transitionByName('HD-20', 'Resolved');
    expect(used).toEqual({ id: '21', name: 'Resolve', to: 'Resolved' });
    expect(sim.control.issue('HD-20')!.status.name).toBe('Resolved');
  });

  it('reports a missing transition name as transition_not_found, listing the available names, and posts nothing', async () => {
    sim.control.addIssue({ projectKey: 'HD', key: 'HD-21', summary: 'x', reporter: 'anna@contoso.com' });
    const writes = sim.control.writes.length;
    const err = await jira.transitionByName('HD-21', 'Done').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JiraTransitionNotFoundError);
    expect(err).toMatchObject({ code: 'transition_not_found', kind: 'permanent', available: ['Start progress', 'Resolve', 'Escalate'] });
    expect((err as Error).message).toBe('Issue HD-21 has no transition named "Done" available; available transitions: "Start progress", "Resolve", "Escalate"');
    expect(sim.control.writes).toHaveLength(writes);
  });

  it('answers an unknown transition id with 400 in Jira\'s error shape', async () => {
    const auth = `Basic ${Buffer.from(`${sim.credentials!.email}:${sim.credentials!.apiToken}`).toString('base64')}`;
    const res = await fetch(`${sim.url}/rest/api/3/issue/HD-1/transitions`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ transition: { id: '999' } }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ errorMessages: ["Transition id '999' is not valid for this issue."], errors: {} });
  });
});

describe('ADF builder', () => {
  it('drops empty strings (ADF forbids empty text) and builds link marks only for http(s) and mailto', () => {
    expect(adf.paragraph('', 'a', adf.link('docs', 'https://learn.microsoft.com/x'))).toEqual({
      type: 'paragraph',
      content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'docs', marks: [{ type: 'link', attrs: { href: 'https://learn.microsoft.com/x' } }] }],
    });
    expect(() => adf.link('x', 'javascript:alert(1)')).toThrow(RangeError);
  });
});
