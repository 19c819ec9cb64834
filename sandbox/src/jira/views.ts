/**
 * The JSON that Jira Cloud answers with, built from the plain state. Shapes follow the REST v3 reference
 * (developer.atlassian.com/cloud/jira/platform/rest/v3) and the JSM reference (…/cloud/jira/service-desk/rest).
 */
import { approvalDecision, DEVICE_FIELD, REQUEST_TYPE_FIELD, type JiraSimAccount, type JiraSimApproval, type JiraSimComment, type JiraSimIssue, type JiraSimState, type JiraSimStatus, type JiraSimTransition } from './state';

const CATEGORY = { new: { id: 2, key: 'new', colorName: 'blue-gray', name: 'To Do' }, indeterminate: { id: 4, key: 'indeterminate', colorName: 'yellow', name: 'In Progress' }, done: { id: 3, key: 'done', colorName: 'green', name: 'Done' } } as const;

/** Jira's timestamp format: 2026-03-02T09:00:00.000+0000. */
export function jiraDate(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** JSM's DateDTO. */
export function dateDto(ms: number): unknown {
  const iso = new Date(ms).toISOString();
  return { iso8601: iso.replace(/\.\d{3}Z$/, '+0000'), jira: jiraDate(ms), friendly: iso.slice(0, 16).replace('T', ' '), epochMillis: ms };
}

export function userView(state: JiraSimState, account: JiraSimAccount | undefined, accountId: string): unknown {
  return {
    self: `${state.siteUrl}/rest/api/3/user?accountId=${encodeURIComponent(accountId)}`,
    accountId,
    ...(account === undefined ? {} : { displayName: account.displayName }),
    ...(account === undefined || account.emailHidden === true ? {} : { emailAddress: account.emailAddress }),
    active: account !== undefined,
    timeZone: 'Etc/UTC',
    accountType: 'atlassian',
  };
}

function statusView(state: JiraSimState, status: JiraSimStatus): unknown {
  return { self: `${state.siteUrl}/rest/api/3/status/${status.id}`, id: status.id, name: status.name, statusCategory: CATEGORY[status.category] };
}

export function issueView(state: JiraSimState, issue: JiraSimIssue, accountOf: (id: string) => JiraSimAccount | undefined, wanted: readonly string[] | undefined): unknown {
  const project = state.projects.find((p) => p.key === issue.projectKey);
  const fields: Record<string, unknown> = {
    summary: issue.summary,
    status: statusView(state, issue.status),
    issuetype: { self: `${state.siteUrl}/rest/api/3/issuetype/${issue.issueType.id}`, id: issue.issueType.id, name: issue.issueType.name, subtask: false },
    project: project === undefined ? { key: issue.projectKey } : { self: `${state.siteUrl}/rest/api/3/project/${project.id}`, id: project.id, key: project.key, name: project.name, projectTypeKey: project.projectTypeKey },
    reporter: userView(state, accountOf(issue.reporterAccountId), issue.reporterAccountId),
    created: jiraDate(issue.createdAt),
    updated: jiraDate(issue.updatedAt),
    [REQUEST_TYPE_FIELD]: issue.requestType === undefined ? null : { _links: {}, requestType: { id: issue.requestType.id, name: issue.requestType.name }, currentStatus: { status: issue.status.name } },
    [DEVICE_FIELD]: issue.device ?? null,
    ...issue.extraFields,
  };
  const selected = wanted === undefined || wanted.includes('*all') ? fields : Object.fromEntries(Object.entries(fields).filter(([k]) => wanted.includes(k)));
  return { expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations', id: issue.id, self: `${state.siteUrl}/rest/api/3/issue/${issue.id}`, key: issue.key, fields: selected };
}

export function transitionView(state: JiraSimState, t: JiraSimTransition): unknown {
  return { id: t.id, name: t.name, to: statusView(state, t.to), hasScreen: false, isGlobal: t.from === undefined, isInitial: false, isAvailable: true, isConditional: false, isLooped: false };
}

export function commentView(state: JiraSimState, issue: JiraSimIssue, c: JiraSimComment, author: JiraSimAccount | undefined): unknown {
  const user = userView(state, author, c.authorAccountId);
  return { self: `${state.siteUrl}/rest/api/3/issue/${issue.id}/comment/${c.id}`, id: c.id, author: user, body: c.body, updateAuthor: user, created: jiraDate(c.createdAt), updated: jiraDate(c.createdAt), jsdPublic: c.public };
}

export function requestCommentView(state: JiraSimState, issue: JiraSimIssue, c: JiraSimComment, author: JiraSimAccount | undefined): unknown {
  return { id: c.id, body: c.body, public: c.public, author: userView(state, author, c.authorAccountId), created: dateDto(c.createdAt), _links: { self: `${state.siteUrl}/rest/servicedeskapi/request/${issue.id}/comment/${c.id}` } };
}

export function approvalView(state: JiraSimState, issue: JiraSimIssue, a: JiraSimApproval, accountOf: (id: string) => JiraSimAccount | undefined, callerId: string): unknown {
  const decision = approvalDecision(a);
  return {
    id: a.id,
    name: a.name,
    finalDecision: decision,
    canAnswerApproval: decision === 'pending' && a.approvers.some((x) => x.accountId === callerId && x.decision === 'pending'),
    approvers: a.approvers.map((x) => ({ approver: userView(state, accountOf(x.accountId), x.accountId), approverDecision: x.decision })),
    createdDate: dateDto(a.createdAt),
    ...(a.completedAt === undefined ? {} : { completedDate: dateDto(a.completedAt) }),
    _links: { self: `${state.siteUrl}/rest/servicedeskapi/request/${issue.id}/approval/${a.id}` },
  };
}

/** JSM's PagedDTO around `values`, with `start` and `limit` from the query. */
export function paged(state: JiraSimState, path: string, all: readonly unknown[], start: number, limit: number): unknown {
  const values = all.slice(start, start + limit);
  const isLastPage = start + values.length >= all.length;
  const base = `${state.siteUrl}${path}`;
  return {
    _expands: [],
    size: values.length,
    start,
    limit,
    isLastPage,
    _links: { base: state.siteUrl, context: '', self: `${base}?start=${start}&limit=${limit}`, ...(isLastPage ? {} : { next: `${base}?start=${start + limit}&limit=${limit}` }), ...(start > 0 ? { prev: `${base}?start=${Math.max(0, start - limit)}&limit=${limit}` } : {}) },
    values,
  };
}
