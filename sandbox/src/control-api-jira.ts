/**
 * The control API of the simulated Jira Cloud site, under /_sandbox/jira: add issues and approvals, decide approvals,
 * inject faults and a rate limit, send Jira's signed webhooks to the intake, and read or clear every write received.
 * Unknown issues (and an issue without an approval to decide) answer 404; unknown projects and accounts named in a
 * body 400, before anything is stored.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { registerFaultRoutes } from './control-api-faults';
import { notConfigured, notFound, parse, strip, unknownReference } from './control-http';
import type { JiraSim } from './jira';

/** Where the simulated Jira delivers its webhooks. */
export interface JiraWebhookTarget {
  readonly intakeBaseUrl: string;
  readonly secret?: string;
}

const text = z.string().min(1).max(500);
const accountKey = z.string().min(1).max(200);

const approvalInput = z
  .strictObject({ name: text, approvers: z.array(accountKey).min(1).max(50), required: z.number().int().min(1).optional() })
  .refine((a) => a.required === undefined || a.required <= a.approvers.length, { error: 'cannot need more approvers than it has', path: ['required'] });

const jiraIssue = z.strictObject({
  projectKey: z.string().regex(/^[A-Z][A-Z0-9_]{1,9}$/),
  summary: text,
  reporter: accountKey,
  device: z.string().min(1).max(64).optional(),
  approvals: z.array(approvalInput).max(5).optional(),
});

const issueParams = z.strictObject({ key: z.string().min(1).max(100) });

const rateLimit = z.strictObject({ maxRequests: z.number().int().min(1).max(1_000_000), windowMs: z.number().int().min(1).max(86_400_000) });

export function registerJiraControlApi(app: FastifyInstance, deps: { jira: JiraSim; webhooks?: JiraWebhookTarget }): void {
  const { jira } = deps;
  const { control } = jira;

  /** Sends 400 naming the first approver that is not an account, and returns false; true when all are. */
  const approversExist = (reply: FastifyReply, approvals: readonly z.infer<typeof approvalInput>[], field: string): boolean => {
    for (const [i, approval] of approvals.entries()) {
      const j = approval.approvers.findIndex((a) => control.account(a) === undefined);
      if (j !== -1) {
        unknownReference(reply, `${field}${String(i)}.approvers.${String(j)}`, `no account ${approval.approvers[j] ?? ''} in the Jira sandbox`);
        return false;
      }
    }
    return true;
  };

  app.get('/_sandbox/jira/issues', () => jira.state.issues);

  app.post('/_sandbox/jira/issues', (request, reply) => {
    const input = parse(jiraIssue, request.body, reply);
    if (input === undefined) return reply;
    if (control.project(input.projectKey) === undefined) return unknownReference(reply, 'projectKey', `no project ${input.projectKey} in the Jira sandbox`);
    if (control.account(input.reporter) === undefined) return unknownReference(reply, 'reporter', `no account ${input.reporter} in the Jira sandbox`);
    if (!approversExist(reply, input.approvals ?? [], 'approvals.')) return reply;
    const approvals = input.approvals?.map((a) => strip(a));
    return reply.code(201).send(control.addIssue(strip({ ...input, approvals })));
  });

  app.post('/_sandbox/jira/issues/:key/approvals', (request, reply) => {
    const params = parse(issueParams, request.params, reply);
    if (params === undefined) return reply;
    const body = parse(approvalInput, request.body, reply);
    if (body === undefined) return reply;
    const issue = control.issue(params.key);
    if (issue === undefined) return notFound(reply, `no issue ${params.key} in the Jira sandbox`);
    if (!approversExist(reply, [body], '')) return reply;
    const id = control.addApproval(issue.key, strip(body));
    return reply.code(201).send(issue.approvals.find((a) => a.id === id));
  });

  app.put('/_sandbox/jira/issues/:key/approval', (request, reply) => {
    const params = parse(issueParams, request.params, reply);
    if (params === undefined) return reply;
    const body = parse(z.strictObject({ decision: z.enum(['approved', 'declined', 'pending']), approver: accountKey.optional() }), request.body, reply);
    if (body === undefined) return reply;
    const issue = control.issue(params.key);
    if (issue === undefined) return notFound(reply, `no issue ${params.key} in the Jira sandbox`);
    const approval = issue.approvals.at(-1);
    if (approval === undefined) return notFound(reply, `issue ${issue.key} has no approval`);
    if (body.approver !== undefined) {
      const account = control.account(body.approver);
      if (account === undefined) return unknownReference(reply, 'approver', `no account ${body.approver} in the Jira sandbox`);
      if (!approval.approvers.some((a) => a.accountId === account.accountId)) {
        return unknownReference(reply, 'approver', `${body.approver} is not an approver of ${issue.key}'s latest approval`);
      }
    }
    control.setApprovalDecision(issue.key, body.decision, strip({ approver: body.approver }));
    return reply.code(204).send();
  });

  app.get('/_sandbox/jira/writes', () => ({ writes: control.requests.filter((r) => r.method !== 'GET'), webhooks: control.webhooks }));

  app.post('/_sandbox/jira/records/clear', (_request, reply) => {
    control.clearRecords();
    return reply.code(204).send();
  });

  registerFaultRoutes(app, '/_sandbox/jira', control.faults, 'Jira');

  app.put('/_sandbox/jira/rate-limit', (request, reply) => {
    const limit = parse(rateLimit, request.body, reply);
    if (limit === undefined) return reply;
    control.setRateLimit(limit);
    return reply.code(204).send();
  });

  app.delete('/_sandbox/jira/rate-limit', (_request, reply) => {
    control.setRateLimit(undefined);
    return reply.code(204).send();
  });

  app.post('/_sandbox/jira/issues/:key/webhook', async (request, reply) => {
    const params = parse(issueParams, request.params, reply);
    if (params === undefined) return reply;
    const body = parse(z.strictObject({ event: z.enum(['jira:issue_created', 'jira:issue_updated']).default('jira:issue_created') }), request.body ?? {}, reply);
    if (body === undefined) return reply;
    const secret = deps.webhooks?.secret;
    if (deps.webhooks === undefined || secret === undefined) return notConfigured(reply, 'Jira: the intake\'s webhook secret is not set, so the sandbox cannot sign deliveries');
    if (control.issue(params.key) === undefined) return notFound(reply, `no issue ${params.key} in the Jira sandbox`);
    return control.sendIssueWebhook(params.key, body.event, { intakeUrl: `${deps.webhooks.intakeBaseUrl}/v1/webhooks/jira`, secret, maxAttempts: 3, backoffMs: 500 });
  });
}
