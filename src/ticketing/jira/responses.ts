/**
 * What the client reads from Jira's answers, checked with zod at the edge. Only the fields the product uses are
 * required; everything else is allowed and kept in `fields`.
 */
import { z } from 'zod';

export type ApprovalDecision = 'approved' | 'declined' | 'pending';

export interface JiraUser {
  readonly accountId: string;
  readonly displayName?: string;
  /** Absent when the user's profile visibility hides it. */
  readonly emailAddress?: string;
}

export interface JiraIssue {
  readonly id: string;
  readonly key: string;
  readonly summary: string;
  readonly projectKey: string;
  readonly issueType?: string;
  readonly status: { readonly name: string; readonly categoryKey?: string };
  readonly reporter?: JiraUser;
  /** Every field as Jira sent it, custom fields included (e.g. customfield_10050). */
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface JiraComment {
  readonly id: string;
  readonly created?: string;
}

export interface JiraTransition {
  readonly id: string;
  readonly name: string;
  /** The status the transition leads to. */
  readonly to?: string;
}

export interface JiraApprover extends JiraUser {
  readonly decision: ApprovalDecision;
}

export interface JiraApproval {
  readonly id: string;
  readonly name: string;
  readonly finalDecision: ApprovalDecision;
  readonly canAnswerApproval: boolean;
  readonly approvers: readonly JiraApprover[];
  readonly createdAt?: number;
  readonly completedAt?: number;
}

export interface JiraApprovals {
  /** The most recent approval's decision; `none` when the request has no approval at all. */
  readonly finalDecision: ApprovalDecision | 'none';
  /** Oldest first, as JSM lists them. */
  readonly approvals: readonly JiraApproval[];
}

const id = z.union([z.string(), z.number()]).transform(String);
// An unknown decision is never read as "approved".
const decision = z.string().transform((d): ApprovalDecision => (d === 'approved' || d === 'declined' ? d : 'pending'));
const user = z.looseObject({ accountId: z.string(), displayName: z.string().optional(), emailAddress: z.string().optional() });
const dateDto = z.looseObject({ epochMillis: z.number() }).optional().nullable();

const present = <T>(v: T | null | undefined): v is T => v !== null && v !== undefined;

function userOf(u: z.infer<typeof user>): JiraUser {
  return { accountId: u.accountId, ...(u.displayName === undefined ? {} : { displayName: u.displayName }), ...(u.emailAddress === undefined ? {} : { emailAddress: u.emailAddress }) };
}

export const issueSchema = z
  .looseObject({
    id,
    key: z.string(),
    fields: z.looseObject({
      summary: z.string().optional(),
      project: z.looseObject({ key: z.string() }).optional(),
      issuetype: z.looseObject({ name: z.string() }).optional().nullable(),
      status: z.looseObject({ name: z.string(), statusCategory: z.looseObject({ key: z.string() }).optional() }).optional(),
      reporter: user.optional().nullable(),
    }),
  })
  .transform((i): JiraIssue => ({
    id: i.id,
    key: i.key,
    summary: i.fields.summary ?? '',
    projectKey: i.fields.project?.key ?? i.key.split('-')[0] ?? '',
    ...(present(i.fields.issuetype) ? { issueType: i.fields.issuetype.name } : {}),
    status: { name: i.fields.status?.name ?? '', ...(i.fields.status?.statusCategory === undefined ? {} : { categoryKey: i.fields.status.statusCategory.key }) },
    ...(present(i.fields.reporter) ? { reporter: userOf(i.fields.reporter) } : {}),
    fields: i.fields,
  }));

export const commentSchema = z.looseObject({ id, created: z.unknown().optional() }).transform((c): JiraComment => {
  const created = typeof c.created === 'string' ? c.created : (c.created as { iso8601?: unknown } | undefined)?.iso8601;
  return { id: c.id, ...(typeof created === 'string' ? { created } : {}) };
});

export const transitionsSchema = z
  .looseObject({ transitions: z.array(z.looseObject({ id, name: z.string(), to: z.looseObject({ name: z.string() }).optional() })) })
  .transform((t): JiraTransition[] => t.transitions.map((x) => ({ id: x.id, name: x.name, ...(x.to === undefined ? {} : { to: x.to.name }) })));

export const approvalPageSchema = z
  .looseObject({
    isLastPage: z.boolean().optional(),
    start: z.number().optional(),
    size: z.number().optional(),
    values: z.array(
      z.looseObject({
        id,
        name: z.string().default(''),
        finalDecision: decision,
        canAnswerApproval: z.boolean().default(false),
        approvers: z.array(z.looseObject({ approver: user, approverDecision: decision })).default([]),
        createdDate: dateDto,
        completedDate: dateDto,
      }),
    ),
  })
  .transform((page) => ({
    isLastPage: page.isLastPage ?? true,
    next: (page.start ?? 0) + (page.size ?? page.values.length),
    values: page.values.map((a): JiraApproval => ({
      id: a.id,
      name: a.name,
      finalDecision: a.finalDecision,
      canAnswerApproval: a.canAnswerApproval,
      approvers: a.approvers.map((x) => ({ ...userOf(x.approver), decision: x.approverDecision })),
      ...(present(a.createdDate) ? { createdAt: a.createdDate.epochMillis } : {}),
      ...(present(a.completedDate) ? { completedAt: a.completedDate.epochMillis } : {}),
    })),
  }));
