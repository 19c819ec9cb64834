/**
 * The simulated REST resources. Platform routes (REST v3) answer errors as `{"errorMessages":[…],"errors":{…}}`;
 * JSM routes (servicedeskapi) as `{"errorMessage":"…","i18nErrorMessage":{…}}`, as the real site does.
 */
import { adfProblem } from './adf-validate';
import type { JiraSimControl } from './control';
import type { JiraSimAccount, JiraSimIssue } from './state';
import { approvalView, commentView, issueView, paged, requestCommentView, transitionView } from './views';

export interface RouteContext {
  readonly control: JiraSimControl;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: unknown;
  readonly caller: JiraSimAccount;
  readonly path: string;
}

export interface RouteResult {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface JiraSimRoute {
  readonly method: 'GET' | 'POST';
  /** From /rest/ on, with `{name}` for one segment. */
  readonly path: string;
  readonly api: 'platform' | 'servicedesk';
  readonly handle: (ctx: RouteContext) => RouteResult;
}

/** Thrown by a route to answer with the API's error shape. */
export class JiraSimError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fieldErrors: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export function errorBody(api: JiraSimRoute['api'], e: JiraSimError): unknown {
  if (api === 'servicedesk') return { errorMessage: e.message, i18nErrorMessage: { i18nKey: 'sd.sandbox.error', parameters: [] } };
  return { errorMessages: e.message === '' ? [] : [e.message], errors: e.fieldErrors };
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function visibleIssue(ctx: RouteContext, notFound = 'Issue does not exist or you do not have permission to see it.'): JiraSimIssue {
  const issue = ctx.control.issue(ctx.params.key ?? '');
  const allowed = issue !== undefined && (ctx.caller.projects === undefined || ctx.caller.projects.includes(issue.projectKey));
  if (!allowed) throw new JiraSimError(404, notFound);
  return issue;
}

function writable(ctx: RouteContext, what: string): void {
  if (ctx.caller.readOnly === true) throw new JiraSimError(403, `You do not have permission to ${what} for this issue.`);
}

function requestOf(ctx: RouteContext): JiraSimIssue {
  const issue = visibleIssue(ctx, 'Request does not exist or you do not have permission to see it.');
  if (ctx.control.project(issue.projectKey)?.projectTypeKey !== 'service_desk') {
    throw new JiraSimError(404, 'Request does not exist or you do not have permission to see it.');
  }
  return issue;
}

function available(ctx: RouteContext, issue: JiraSimIssue) {
  return (ctx.control.project(issue.projectKey)?.transitions ?? []).filter((t) => t.from === undefined || t.from.includes(issue.status.name));
}

function intParam(query: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new JiraSimError(400, `The value '${raw}' is not valid for ${name}.`);
  return Math.min(n, max);
}

const accountOf = (ctx: RouteContext) => (id: string) => ctx.control.account(id);

export const jiraRoutes: readonly JiraSimRoute[] = [
  {
    method: 'GET',
    path: 'rest/api/3/issue/{key}',
    api: 'platform',
    handle: (ctx) => {
      const issue = visibleIssue(ctx);
      const fields = ctx.query.get('fields');
      const wanted = fields === null || fields === '' ? undefined : fields.split(',').map((f) => f.trim());
      return { status: 200, body: issueView(ctx.control.state, issue, accountOf(ctx), wanted) };
    },
  },
  {
    method: 'POST',
    path: 'rest/api/3/issue/{key}/comment',
    api: 'platform',
    handle: (ctx) => {
      const issue = visibleIssue(ctx);
      writable(ctx, 'add comments');
      if (!isObj(ctx.body) || ctx.body.body === undefined || ctx.body.body === null) throw new JiraSimError(400, '', { comment: 'Comment body can not be empty!' });
      const problem = adfProblem(ctx.body.body);
      if (problem !== undefined) throw new JiraSimError(400, '', { comment: `Comment body is not valid! ${problem}` });
      const now = ctx.control.clock.now();
      const comment = { id: ctx.control.newId(), authorAccountId: ctx.caller.accountId, body: ctx.body.body, public: true, via: 'platform' as const, createdAt: now };
      issue.comments.push(comment);
      issue.updatedAt = now;
      return { status: 201, body: commentView(ctx.control.state, issue, comment, ctx.caller) };
    },
  },
  {
    method: 'GET',
    path: 'rest/api/3/issue/{key}/transitions',
    api: 'platform',
    handle: (ctx) => {
      const issue = visibleIssue(ctx);
      return { status: 200, body: { expand: 'transitions', transitions: available(ctx, issue).map((t) => transitionView(ctx.control.state, t)) } };
    },
  },
  {
    method: 'POST',
    path: 'rest/api/3/issue/{key}/transitions',
    api: 'platform',
    handle: (ctx) => {
      const issue = visibleIssue(ctx);
      writable(ctx, 'transition issues');
      const transition = isObj(ctx.body) && isObj(ctx.body.transition) ? ctx.body.transition : undefined;
      const id = transition?.id;
      if (typeof id !== 'string' && typeof id !== 'number') throw new JiraSimError(400, "Missing 'transition' identifier");
      const found = available(ctx, issue).find((t) => t.id === String(id));
      if (found === undefined) throw new JiraSimError(400, `Transition id '${String(id)}' is not valid for this issue.`);
      issue.status = found.to;
      issue.updatedAt = ctx.control.clock.now();
      return { status: 204 };
    },
  },
  {
    method: 'GET',
    path: 'rest/servicedeskapi/request/{key}/approval',
    api: 'servicedesk',
    handle: (ctx) => {
      const issue = requestOf(ctx);
      const start = intParam(ctx.query, 'start', 0, Number.MAX_SAFE_INTEGER);
      const limit = Math.max(1, intParam(ctx.query, 'limit', 50, 100));
      const values = issue.approvals.map((a) => approvalView(ctx.control.state, issue, a, accountOf(ctx), ctx.caller.accountId));
      return { status: 200, body: paged(ctx.control.state, `/rest/servicedeskapi/request/${issue.id}/approval`, values, start, limit) };
    },
  },
  {
    method: 'POST',
    path: 'rest/servicedeskapi/request/{key}/comment',
    api: 'servicedesk',
    handle: (ctx) => {
      const issue = requestOf(ctx);
      writable(ctx, 'add comments');
      const body = isObj(ctx.body) ? ctx.body : {};
      if (typeof body.body !== 'string' || body.body.trim() === '') throw new JiraSimError(400, 'The comment body is required.');
      if (body.public !== undefined && typeof body.public !== 'boolean') throw new JiraSimError(400, "The value of 'public' must be true or false.");
      const now = ctx.control.clock.now();
      const comment = { id: ctx.control.newId(), authorAccountId: ctx.caller.accountId, body: body.body, public: body.public ?? true, via: 'servicedesk' as const, createdAt: now };
      issue.comments.push(comment);
      issue.updatedAt = now;
      return { status: 201, body: requestCommentView(ctx.control.state, issue, comment, ctx.caller) };
    },
  },
];
