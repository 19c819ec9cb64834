/**
 * The simulated Jira Cloud site as plain data: accounts (Basic `email:api_token`), projects with their own workflow
 * (transition ids differ per project, as in real Jira), issues, JSM approvals and comments. Seed it, mutate it in
 * tests, or use the control object.
 */

export type StatusCategoryKey = 'new' | 'indeterminate' | 'done';
export type ApprovalDecision = 'approved' | 'declined' | 'pending';

export interface JiraSimAccount {
  readonly accountId: string;
  readonly displayName: string;
  readonly emailAddress: string;
  /** Accounts with a token can call the REST API; the others are people (reporters, approvers) only. */
  readonly apiToken?: string;
  /** Project keys this account may see; all when absent. Others answer 403 / 404 as Jira does. */
  readonly projects?: readonly string[];
  /** May read but not write (comments and transitions answer 403). */
  readonly readOnly?: boolean;
  /**
   * The person's profile visibility hides their email (Atlassian's user-privacy changes; on many sites most emails
   * are hidden): `emailAddress` is left out of every user object in REST answers and webhook deliveries.
   */
  readonly emailHidden?: boolean;
}

export interface JiraSimStatus {
  readonly id: string;
  readonly name: string;
  readonly category: StatusCategoryKey;
}

export interface JiraSimTransition {
  readonly id: string;
  readonly name: string;
  readonly to: JiraSimStatus;
  /** Status names the transition is available from; from every status when absent (a global transition). */
  readonly from?: readonly string[];
}

export interface JiraSimProject {
  readonly id: string;
  readonly key: string;
  readonly name: string;
  /** `service_desk` projects are JSM: their issues are requests with approvals and JSM comments. */
  readonly projectTypeKey: 'service_desk' | 'software' | 'business';
  readonly initialStatus: JiraSimStatus;
  readonly transitions: readonly JiraSimTransition[];
}

export interface JiraSimApprover {
  readonly accountId: string;
  decision: ApprovalDecision;
}

export interface JiraSimApproval {
  readonly id: string;
  readonly name: string;
  readonly approvers: JiraSimApprover[];
  /** How many approvals it needs (JSM's "at least N approvers"); default 1. Any decline declines it. */
  readonly required?: number;
  readonly createdAt: number;
  completedAt?: number;
}

export interface JiraSimComment {
  readonly id: string;
  readonly authorAccountId: string;
  /** ADF for platform comments, plain text for JSM request comments. */
  readonly body: unknown;
  readonly public: boolean;
  readonly via: 'platform' | 'servicedesk';
  readonly createdAt: number;
}

export interface JiraSimIssue {
  readonly id: string;
  readonly key: string;
  readonly projectKey: string;
  readonly issueType: { readonly id: string; readonly name: string };
  status: JiraSimStatus;
  summary: string;
  reporterAccountId: string;
  /** The JSM request type (customfield_10010), for service desk projects. */
  requestType?: { readonly id: string; readonly name: string };
  /** The device identifier (customfield_10050). */
  device?: string;
  /** Any other fields, served as they are. */
  readonly extraFields?: Readonly<Record<string, unknown>>;
  readonly approvals: JiraSimApproval[];
  readonly comments: JiraSimComment[];
  readonly createdAt: number;
  updatedAt: number;
}

export interface JiraSimState {
  /** The site's public URL, used in `self` links (e.g. https://contoso.atlassian.net). */
  siteUrl: string;
  readonly accounts: JiraSimAccount[];
  readonly projects: JiraSimProject[];
  readonly issues: JiraSimIssue[];
}

export const REQUEST_TYPE_FIELD = 'customfield_10010';
export const DEVICE_FIELD = 'customfield_10050';

/** The final decision of one approval, derived from its approvers as JSM does. */
export function approvalDecision(approval: JiraSimApproval): ApprovalDecision {
  if (approval.approvers.some((a) => a.decision === 'declined')) return 'declined';
  const approved = approval.approvers.filter((a) => a.decision === 'approved').length;
  return approved >= Math.min(approval.required ?? 1, approval.approvers.length) && approved > 0 ? 'approved' : 'pending';
}

const OPEN: JiraSimStatus = { id: '10001', name: 'Waiting for support', category: 'new' };
const IN_PROGRESS: JiraSimStatus = { id: '3', name: 'In Progress', category: 'indeterminate' };
const RESOLVED: JiraSimStatus = { id: '10002', name: 'Resolved', category: 'done' };
const TODO: JiraSimStatus = { id: '10000', name: 'To Do', category: 'new' };
const DONE: JiraSimStatus = { id: '10003', name: 'Done', category: 'done' };

/** Fixture people. The bot account is the product's API user. */
export const FIXTURE_ACCOUNTS = {
  bot: { accountId: '712020:0b6b7f0e-bot0-4c1e-9c8a-000000000001', displayName: 'ResetPC bot', emailAddress: 'resetpc-bot@contoso.com' },
  anna: { accountId: '5b10a2844c20165700ede21g', displayName: 'Anna Lee', emailAddress: 'anna@contoso.com' },
  ben: { accountId: '5b10ac8d82e05b22cc7d4ef5', displayName: 'Ben Ortiz', emailAddress: 'ben.manager@contoso.com' },
  cleo: { accountId: '5d53f3cbc6b9320d9ea5bdc2', displayName: 'Cleo Park', emailAddress: 'cleo.it@contoso.com' },
} as const;

/**
 * A seeded site: HD (a JSM help desk whose workflow ids are 11/21/31/41) and OPS (a software project whose ids are
 * 711/721: same names, other ids), the bot account with `apiToken`, and two issues: HD-1 (approval pending) and OPS-1.
 */
export function createJiraFixtures(options: { apiToken: string; siteUrl?: string; now?: number }): JiraSimState {
  const now = options.now ?? Date.now();
  const { bot, anna, ben, cleo } = FIXTURE_ACCOUNTS;
  return {
    siteUrl: options.siteUrl ?? 'https://contoso.atlassian.net',
    accounts: [{ ...bot, apiToken: options.apiToken }, anna, ben, cleo],
    projects: [
      {
        id: '10000',
        key: 'HD',
        name: 'Help Desk',
        projectTypeKey: 'service_desk',
        initialStatus: OPEN,
        transitions: [
          { id: '11', name: 'Start progress', to: IN_PROGRESS, from: [OPEN.name] },
          { id: '21', name: 'Resolve', to: RESOLVED, from: [OPEN.name, IN_PROGRESS.name] },
          { id: '31', name: 'Escalate', to: IN_PROGRESS, from: [OPEN.name] },
          { id: '41', name: 'Reopen', to: OPEN, from: [RESOLVED.name] },
        ],
      },
      {
        id: '10001',
        key: 'OPS',
        name: 'Operations',
        projectTypeKey: 'software',
        initialStatus: TODO,
        transitions: [
          { id: '711', name: 'Start progress', to: IN_PROGRESS },
          { id: '721', name: 'Done', to: DONE },
        ],
      },
    ],
    issues: [
      {
        id: '10042',
        key: 'HD-1',
        projectKey: 'HD',
        issueType: { id: '10004', name: 'Service Request' },
        status: OPEN,
        summary: 'Locked out of my work phone',
        reporterAccountId: anna.accountId,
        requestType: { id: '12', name: 'Reset device passcode' },
        device: 'R58M123ABC',
        approvals: [{ id: '1', name: 'Manager approval', approvers: [{ accountId: ben.accountId, decision: 'pending' }], createdAt: now }],
        comments: [],
        createdAt: now,
        updatedAt: now,
      },
      {
        id: '10043',
        key: 'OPS-1',
        projectKey: 'OPS',
        issueType: { id: '10001', name: 'Task' },
        status: TODO,
        summary: 'Reset the kiosk tablet',
        reporterAccountId: cleo.accountId,
        device: 'KIOSK-0007',
        approvals: [],
        comments: [],
        createdAt: now,
        updatedAt: now,
      },
    ],
  };
}
