/**
 * The Jira sandbox's in-process control: seed issues and approvals, decide approvals, inject faults, set a rate
 * limit, send webhooks, and read every request and write the site received (never a header or a token).
 */
import { systemClock, type SandboxClock } from '../clock';
import { TrackedFaultInjector } from '../control';
import type { FaultRuleInput } from '../faults';
import { approvalDecision, type ApprovalDecision, type JiraSimAccount, type JiraSimIssue, type JiraSimProject, type JiraSimState } from './state';
import { issueView, userView } from './views';
import { deliverWebhook, issueEventBody, newDelivery, type JiraIssueEvent, type JiraWebhookChange, type WebhookDelivery, type WebhookResult, type WebhookSendOptions } from './webhooks';

/** One request the site received. `body` is set for writes only. */
export interface JiraRequestRecord {
  readonly at: number;
  readonly method: string;
  /** The path from /rest/ on, decoded, without the query. */
  path: string;
  readonly query: string;
  body?: unknown;
  /** The API user's email, once Basic auth was accepted. */
  account?: string;
  /** The status sent, or what happened to the connection instead. */
  outcome: number | 'reset' | 'lostResponse' | 'pending';
}

/** Jira's rate limit, per API user, in a sliding window. */
export interface JiraRateLimit {
  readonly maxRequests: number;
  readonly windowMs: number;
}

export type RateDecision = { readonly admitted: true; readonly remaining: number } | { readonly admitted: false; readonly retryAfterSeconds: number; readonly resetAt: number };

export interface NewIssue {
  readonly projectKey: string;
  /** Default: the project's next number. */
  readonly key?: string;
  readonly summary: string;
  /** The reporter's accountId or email address; the account must exist in the state. */
  readonly reporter: string;
  readonly device?: string;
  readonly requestType?: { readonly id: string; readonly name: string };
  readonly issueType?: { readonly id: string; readonly name: string };
  readonly extraFields?: Readonly<Record<string, unknown>>;
  /** Approvals, each with its approvers (accountId or email), all pending. */
  readonly approvals?: readonly { readonly name: string; readonly approvers: readonly string[]; readonly required?: number }[];
}

export class JiraSimControl {
  readonly faults: TrackedFaultInjector;
  /** Every request, in order of arrival. */
  readonly requests: JiraRequestRecord[] = [];
  /** Every webhook the sender finished delivering (or gave up on). */
  readonly webhooks: WebhookResult[] = [];
  rateLimit: JiraRateLimit | undefined;
  private readonly hits = new Map<string, number[]>();
  private nextId = 20_000;

  constructor(
    readonly state: JiraSimState,
    readonly clock: SandboxClock = systemClock,
    random?: () => number,
  ) {
    this.faults = new TrackedFaultInjector(random);
  }

  /** Every write (POST, PUT, DELETE…) received, with its parsed body. */
  get writes(): JiraRequestRecord[] {
    return this.requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD');
  }

  newId(): string {
    this.nextId += 1;
    return String(this.nextId);
  }

  issue(key: string): JiraSimIssue | undefined {
    return this.state.issues.find((i) => i.key === key.toUpperCase() || i.id === key);
  }

  project(key: string): JiraSimProject | undefined {
    return this.state.projects.find((p) => p.key === key);
  }

  account(idOrEmail: string): JiraSimAccount | undefined {
    const lower = idOrEmail.toLowerCase();
    return this.state.accounts.find((a) => a.accountId === idOrEmail || a.emailAddress.toLowerCase() === lower);
  }

  private accountId(idOrEmail: string): string {
    const account = this.account(idOrEmail);
    if (account === undefined) throw new Error(`no account ${idOrEmail} in the Jira sandbox`);
    return account.accountId;
  }

  addIssue(input: NewIssue): JiraSimIssue {
    const project = this.project(input.projectKey);
    if (project === undefined) throw new Error(`no project ${input.projectKey} in the Jira sandbox`);
    const numbers = this.state.issues.filter((i) => i.projectKey === project.key).map((i) => Number(i.key.split('-')[1]));
    const key = input.key ?? `${project.key}-${Math.max(0, ...numbers) + 1}`;
    if (this.issue(key) !== undefined) throw new Error(`issue ${key} already exists`);
    const now = this.clock.now();
    const issue: JiraSimIssue = {
      id: this.newId(),
      key,
      projectKey: project.key,
      issueType: input.issueType ?? { id: '10004', name: 'Service Request' },
      status: project.initialStatus,
      summary: input.summary,
      reporterAccountId: this.accountId(input.reporter),
      ...(input.device === undefined ? {} : { device: input.device }),
      ...(input.requestType === undefined ? {} : { requestType: input.requestType }),
      ...(input.extraFields === undefined ? {} : { extraFields: input.extraFields }),
      approvals: [],
      comments: [],
      createdAt: now,
      updatedAt: now,
    };
    this.state.issues.push(issue);
    for (const a of input.approvals ?? []) this.addApproval(key, a);
    return issue;
  }

  addApproval(issueKey: string, input: { readonly name: string; readonly approvers: readonly string[]; readonly required?: number }): string {
    const issue = this.mustIssue(issueKey);
    const id = this.newId();
    issue.approvals.push({
      id,
      name: input.name,
      approvers: input.approvers.map((a) => ({ accountId: this.accountId(a), decision: 'pending' })),
      ...(input.required === undefined ? {} : { required: input.required }),
      createdAt: this.clock.now(),
    });
    return id;
  }

  /**
   * Records an approver's decision on the issue's latest approval (or `approvalId`). Without `approver`, every
   * approver of that approval decides the same.
   */
  setApprovalDecision(issueKey: string, decision: ApprovalDecision, options: { readonly approver?: string; readonly approvalId?: string } = {}): void {
    const issue = this.mustIssue(issueKey);
    const approval = options.approvalId === undefined ? issue.approvals.at(-1) : issue.approvals.find((a) => a.id === options.approvalId);
    if (approval === undefined) throw new Error(`issue ${issueKey} has no such approval`);
    const who = options.approver === undefined ? undefined : this.accountId(options.approver);
    const approvers = approval.approvers.filter((a) => who === undefined || a.accountId === who);
    if (approvers.length === 0) throw new Error(`${options.approver ?? '?'} is not an approver of ${issueKey}`);
    for (const a of approvers) a.decision = decision;
    if (approvalDecision(approval) === 'pending') delete approval.completedAt;
    else approval.completedAt = this.clock.now();
    issue.updatedAt = this.clock.now();
  }

  /** Adds a fault rule on paths from /rest/ on, e.g. `{ path: '/rest/api/3/issue/*\/comment', sequence: [{ kind: 'status', status: 503 }] }`. */
  injectFault(rule: FaultRuleInput): number {
    return this.faults.add(rule);
  }

  setRateLimit(limit: JiraRateLimit | undefined): void {
    this.rateLimit = limit;
    this.hits.clear();
  }

  /** Forgets every request and webhook recorded, and the rate-limit window; keeps issues, faults and the limit. */
  clearRecords(): void {
    this.requests.length = 0;
    this.webhooks.length = 0;
    this.hits.clear();
  }

  /** Counts one request of `account` against the rate limit, or refuses it. */
  admit(account: string): RateDecision {
    const limit = this.rateLimit;
    if (limit === undefined) return { admitted: true, remaining: Number.POSITIVE_INFINITY };
    const now = this.clock.now();
    const times = (this.hits.get(account) ?? []).filter((t) => t > now - limit.windowMs);
    this.hits.set(account, times);
    if (times.length >= limit.maxRequests) {
      const resetAt = (times[times.length - limit.maxRequests] ?? now) + limit.windowMs;
      return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil((resetAt - now) / 1000)), resetAt };
    }
    times.push(now);
    return { admitted: true, remaining: limit.maxRequests - times.length };
  }

  /** Hides (or shows) a person's email in every user object, as their profile visibility setting would. */
  setEmailHidden(idOrEmail: string, hidden: boolean): void {
    const account = this.account(idOrEmail);
    if (account === undefined) throw new Error(`no account ${idOrEmail} in the Jira sandbox`);
    const index = this.state.accounts.indexOf(account);
    this.state.accounts[index] = { ...account, emailHidden: hidden };
  }

  /** The delivery Jira would send for the issue now. */
  webhookDelivery(issueKey: string, event: JiraIssueEvent, options: { readonly changes?: readonly JiraWebhookChange[]; readonly actor?: string } = {}): WebhookDelivery {
    const issue = this.mustIssue(issueKey);
    const accountOf = (id: string) => this.account(id);
    const actorId = options.actor === undefined ? issue.reporterAccountId : this.accountId(options.actor);
    // Webhook actors carry no email address (profile visibility); the reporter inside the issue does.
    const user = { ...(userView(this.state, accountOf(actorId), actorId) as Record<string, unknown>) };
    delete user.emailAddress;
    const body = issueEventBody({
      event,
      timestamp: this.clock.now(),
      issue: issueView(this.state, issue, accountOf, undefined),
      user,
      ...(options.changes === undefined ? {} : { changes: options.changes }),
    });
    return newDelivery(event, issue.key, body);
  }

  /** Builds and sends a delivery for the issue, retrying like Jira; resolves when it is delivered or given up. */
  async sendIssueWebhook(issueKey: string, event: JiraIssueEvent, options: WebhookSendOptions & { readonly changes?: readonly JiraWebhookChange[] }): Promise<WebhookResult> {
    return this.redeliverWebhook(this.webhookDelivery(issueKey, event, options.changes === undefined ? {} : { changes: options.changes }), options);
  }

  /** Sends the same delivery again (same bytes, same identifier), as Jira does when it never heard an answer. */
  async redeliverWebhook(delivery: WebhookDelivery, options: WebhookSendOptions): Promise<WebhookResult> {
    const previous = this.webhooks.filter((w) => w.delivery.identifier === delivery.identifier).reduce((n, w) => n + w.attempts.length, 0);
    const result = await deliverWebhook(delivery, options, previous);
    this.webhooks.push(result);
    return result;
  }

  private mustIssue(key: string): JiraSimIssue {
    const issue = this.issue(key);
    if (issue === undefined) throw new Error(`no issue ${key} in the Jira sandbox`);
    return issue;
  }
}
