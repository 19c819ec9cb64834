/**
 * The product's Jira Cloud client: REST v3 and JSM over fetch, with Basic `email:api_token`. It never retries (the
 * caller's queue does, from the error's `kind`), honours the caller's AbortSignal and its own timeout, and keeps the
 * credentials in a closure: they are in no property, log line or error message.
 */
import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import { JIRA_ISSUE_KEY } from '../../domain/identifiers';
import type { AdfDoc } from './adf';
import { JiraNotFoundError, JiraPermanentError, JiraRateLimitedError, JiraTransientError, JiraTransitionNotFoundError, jiraExplanation, retryAfterMs } from './errors';
import { approvalPageSchema, commentSchema, issueSchema, transitionsSchema, type JiraApproval, type JiraApprovals, type JiraComment, type JiraIssue, type JiraTransition } from './responses';

export interface JiraClientOptions {
  /** The site, e.g. https://contoso.atlassian.net (a path prefix is kept, for a mounted sandbox). */
  readonly siteUrl: string;
  readonly email: string;
  readonly apiToken: string;
  /** Per request, body included; default 10 s. */
  readonly timeoutMs?: number;
  /** An undici dispatcher, e.g. an Agent that trusts an extra CA, or a proxy. */
  readonly dispatcher?: Dispatcher;
  /** Plain http is refused except on loopback hosts (the sandbox) unless this is true. */
  readonly allowInsecureHttp?: boolean;
}

export interface JiraRequestOptions {
  readonly signal?: AbortSignal;
}

/** The Jira operations the product uses. */
export interface JiraClient {
  readonly siteUrl: string;
  getIssue(key: string, options?: JiraRequestOptions & { readonly fields?: readonly string[] }): Promise<JiraIssue>;
  /** REST v3 comment with an ADF body (build it with `adf`). */
  addComment(key: string, body: AdfDoc, options?: JiraRequestOptions): Promise<JiraComment>;
  /** JSM request comment: `isPublic` false is an internal note, true is visible to the customer. */
  addServiceDeskComment(key: string, text: string, isPublic: boolean, options?: JiraRequestOptions): Promise<JiraComment>;
  /** The transitions available on the issue now. */
  getTransitions(key: string, options?: JiraRequestOptions): Promise<JiraTransition[]>;
  /**
   * Finds the transition by name (case-insensitive; else by its target status, when only one leads there) and
   * performs it. No match: JiraTransitionNotFoundError (`transition_not_found`) listing the available names.
   */
  transitionByName(key: string, name: string, options?: JiraRequestOptions): Promise<JiraTransition>;
  /** Every JSM approval of the request (all pages), and the most recent one's decision. */
  getApprovals(key: string, options?: JiraRequestOptions): Promise<JiraApprovals>;
}

type Method = 'GET' | 'POST';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const MAX_APPROVAL_PAGES = 20;

function siteOf(options: JiraClientOptions): string {
  let url: URL;
  try {
    url = new URL(options.siteUrl);
  } catch {
    throw new TypeError('The Jira siteUrl is not a valid URL');
  }
  if (url.username !== '' || url.password !== '') throw new TypeError('The Jira siteUrl must not contain credentials');
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('The Jira siteUrl must be an https URL');
  if (url.protocol === 'http:' && !LOOPBACK.has(url.hostname) && options.allowInsecureHttp !== true) throw new TypeError('The Jira siteUrl must be https (plain http only on loopback)');
  if (url.search !== '' || url.hash !== '') throw new TypeError('The Jira siteUrl must not have a query or a fragment');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function issuePath(key: string, api: 'platform' | 'servicedesk', rest = ''): string {
  if (!JIRA_ISSUE_KEY.test(key)) throw new JiraPermanentError('invalid_issue_key', `${JSON.stringify(key.slice(0, 40))} is not a Jira issue key such as HD-42`);
  const base = api === 'platform' ? '/rest/api/3/issue/' : '/rest/servicedeskapi/request/';
  return `${base}${encodeURIComponent(key)}${rest}`;
}

/** The system error code (ECONNREFUSED…) under fetch's "fetch failed". Duck-typed: the error may come from another realm. */
function networkCode(err: unknown): string {
  const cause = typeof err === 'object' && err !== null && 'cause' in err ? (err.cause as { code?: unknown; errors?: { code?: unknown }[] } | undefined) : undefined;
  const code = cause?.code ?? cause?.errors?.[0]?.code;
  return typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code) ? ` (${code})` : '';
}

export function createJiraClient(options: JiraClientOptions): JiraClient {
  const site = siteOf(options);
  if (options.email === '' || options.apiToken === '') throw new TypeError('The Jira email and API token are required');
  const authorization = `Basic ${Buffer.from(`${options.email}:${options.apiToken}`, 'utf8').toString('base64')}`;
  const timeoutMs = options.timeoutMs ?? 10_000;

  async function call(method: Method, path: string, query: URLSearchParams | undefined, body: unknown, signal: AbortSignal | undefined): Promise<{ status: number; json: unknown }> {
    const op = `${method} ${path}`;
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    const headers: Record<string, string> = { authorization, accept: 'application/json', 'user-agent': 'resetpc-jira-client' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const init: RequestInit = { method, headers, signal: combined, redirect: 'manual', ...(body === undefined ? {} : { body: JSON.stringify(body) }) };
    // Node's fetch is undici's: it takes a dispatcher, which the DOM RequestInit type does not declare.
    if (options.dispatcher !== undefined) Object.assign(init, { dispatcher: options.dispatcher });
    const url = `${site}${path}${query === undefined ? '' : `?${query.toString()}`}`;
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, init);
      text = await response.text();
    } catch (err) {
      if (signal?.aborted === true) throw new JiraTransientError('aborted', `${op} was cancelled`, undefined, undefined, { cause: signal.reason });
      if (timeout.aborted) throw new JiraTransientError('timeout', `Jira did not answer ${op} within ${timeoutMs} ms`);
      throw new JiraTransientError('network_error', `Jira could not be reached for ${op}${networkCode(err)}`, undefined, undefined, { cause: err });
    }
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    const { status } = response;
    if (status >= 200 && status < 300) return { status, json };
    const why = jiraExplanation(json);
    const detail = `Jira answered ${status} to ${op}${why === undefined ? '' : `: ${why}`}`;
    if (status >= 300 && status < 400) throw new JiraPermanentError('invalid_response', `Jira redirected ${op} (${status}): check the site URL`, status);
    if (status === 401) throw new JiraPermanentError('unauthorized', `Jira refused the credentials for ${op} (401): check the account email and API token (tokens expire)`, status);
    if (status === 403) throw new JiraPermanentError('forbidden', detail, status);
    if (status === 404) throw new JiraNotFoundError(detail, status);
    if (status === 429) throw new JiraRateLimitedError(detail, retryAfterMs(response.headers));
    if (status === 408 || status >= 500) throw new JiraTransientError('unavailable', detail, status, retryAfterMs(response.headers));
    throw new JiraPermanentError('bad_request', detail, status);
  }

  async function read<S extends z.ZodType>(schema: S, method: Method, path: string, query: URLSearchParams | undefined, body: unknown, signal: AbortSignal | undefined): Promise<z.output<S>> {
    const { json } = await call(method, path, query, body, signal);
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new JiraPermanentError('invalid_response', `Jira's answer to ${method} ${path} does not have the expected shape: check the site URL`);
    return parsed.data;
  }

  const client: JiraClient = {
    siteUrl: site,

    // Every method is async, so a bad key rejects the promise instead of throwing synchronously.
    async getIssue(key, opts) {
      const query = opts?.fields === undefined ? undefined : new URLSearchParams({ fields: opts.fields.join(',') });
      return await read(issueSchema, 'GET', issuePath(key, 'platform'), query, undefined, opts?.signal);
    },

    addComment: async (key, body, opts) => await read(commentSchema, 'POST', issuePath(key, 'platform', '/comment'), undefined, { body }, opts?.signal),

    addServiceDeskComment: async (key, text, isPublic, opts) => await read(commentSchema, 'POST', issuePath(key, 'servicedesk', '/comment'), undefined, { body: text, public: isPublic }, opts?.signal),

    getTransitions: async (key, opts) => await read(transitionsSchema, 'GET', issuePath(key, 'platform', '/transitions'), undefined, undefined, opts?.signal),

    async transitionByName(key, name, opts) {
      const transitions = await client.getTransitions(key, opts);
      const wanted = name.trim().toLowerCase();
      const byTarget = transitions.filter((t) => t.to?.toLowerCase() === wanted);
      const found = transitions.find((t) => t.name.toLowerCase() === wanted) ?? (byTarget.length === 1 ? byTarget[0] : undefined);
      if (found === undefined) throw new JiraTransitionNotFoundError(key, name, transitions.map((t) => t.name));
      await call('POST', issuePath(key, 'platform', '/transitions'), undefined, { transition: { id: found.id } }, opts?.signal);
      return found;
    },

    async getApprovals(key, opts) {
      const path = issuePath(key, 'servicedesk', '/approval');
      const approvals: JiraApproval[] = [];
      let start = 0;
      for (let page = 0; page < MAX_APPROVAL_PAGES; page += 1) {
        const result = await read(approvalPageSchema, 'GET', path, new URLSearchParams({ start: String(start), limit: '50' }), undefined, opts?.signal);
        approvals.push(...result.values);
        if (result.isLastPage || result.values.length === 0) break;
        start = result.next;
      }
      return { finalDecision: approvals.at(-1)?.finalDecision ?? 'none', approvals };
    },
  };
  return client;
}
