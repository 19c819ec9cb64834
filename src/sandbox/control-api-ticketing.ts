/**
 * The sandbox's HTTP control API for the simulated ServiceNow, Jira and mailbox, under /_sandbox: add tickets and
 * approvals, decide approvals, inject faults, send the systems' signed webhooks to the intake, and read every write
 * and email received. docs/sandbox.md has curl examples.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { parse, strip } from './control-http';
import type { JiraSim } from './jira';
import type { ServiceNowSim } from './servicenow';
import type { SmtpCatcher } from './smtp';

/** Where the simulated systems deliver their webhooks: the intake, when the sandbox runs embedded. */
export interface WebhookTargets {
  readonly intakeBaseUrl: string;
  readonly servicenowSecret?: string;
  readonly jiraSecret?: string;
}

const serial = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);
const text = z.string().min(1).max(500);

const incident = z.strictObject({
  number: z.string().regex(/^[A-Z]{2,8}[0-9]{4,12}$/).optional(),
  short_description: text.optional(),
  requester: z.string().min(1).max(100).optional(),
  u_device_serial: serial.optional(),
  category: z.string().max(80).optional(),
});

const jiraIssue = z.strictObject({
  projectKey: z.string().regex(/^[A-Z][A-Z0-9_]{1,9}$/),
  summary: text,
  reporter: z.string().min(1).max(200),
  device: z.string().min(1).max(64).optional(),
  approvals: z.array(z.strictObject({ name: text, approvers: z.array(z.string().min(1).max(200)).min(1) })).max(5).optional(),
});

function notConfigured(reply: FastifyReply, what: string): FastifyReply {
  return reply.code(409).send({ error: { code: 'not_configured', message: `${what}: the intake's webhook secret is not set, so the sandbox cannot sign deliveries` } });
}

export function registerTicketingControlApi(
  app: FastifyInstance,
  deps: { servicenow: ServiceNowSim; jira: JiraSim; smtp?: SmtpCatcher; webhooks?: WebhookTargets },
): void {
  const { servicenow, jira, smtp } = deps;

  // --- ServiceNow -----------------------------------------------------------------------------------------------
  app.get('/_sandbox/servicenow/tickets', () => ({ incident: servicenow.state.tables.incident, sc_req_item: servicenow.state.tables.sc_req_item }));

  app.post('/_sandbox/servicenow/incidents', (request, reply) => {
    const seed = parse(incident, request.body ?? {}, reply);
    if (seed === undefined) return reply;
    return reply.code(201).send(servicenow.control.addIncident(strip(seed)));
  });

  app.put('/_sandbox/servicenow/approvals/:sysId', (request, reply) => {
    const body = parse(z.strictObject({ state: z.enum(['requested', 'approved', 'rejected', 'cancelled', 'not_required']) }), request.body, reply);
    if (body === undefined) return reply;
    return servicenow.control.setApprovalDecision((request.params as { sysId: string }).sysId, body.state);
  });

  app.get('/_sandbox/servicenow/writes', () => ({ writes: servicenow.control.writes, webhooksSent: servicenow.control.webhooksSent }));

  app.post('/_sandbox/servicenow/tickets/:number/webhook', async (request, reply) => {
    const body = parse(z.strictObject({ event: z.enum(['created', 'updated']).optional(), deviceSerial: serial.optional() }), request.body ?? {}, reply);
    if (body === undefined) return reply;
    const secret = deps.webhooks?.servicenowSecret;
    if (deps.webhooks === undefined || secret === undefined) return notConfigured(reply, 'ServiceNow');
    const delivery = await servicenow.control.sendWebhook((request.params as { number: string }).number, {
      intakeUrl: `${deps.webhooks.intakeBaseUrl}/v1/webhooks/servicenow`,
      secret,
      ...strip(body),
    });
    return delivery;
  });

  // --- Jira ---------------------------------------------------------------------------------------------------------
  app.get('/_sandbox/jira/issues', () => jira.state.issues);

  app.post('/_sandbox/jira/issues', (request, reply) => {
    const input = parse(jiraIssue, request.body, reply);
    if (input === undefined) return reply;
    return reply.code(201).send(jira.control.addIssue(strip(input)));
  });

  app.put('/_sandbox/jira/issues/:key/approval', (request, reply) => {
    const body = parse(z.strictObject({ decision: z.enum(['approved', 'declined', 'pending']), approver: z.string().max(200).optional() }), request.body, reply);
    if (body === undefined) return reply;
    jira.control.setApprovalDecision((request.params as { key: string }).key, body.decision, strip({ approver: body.approver }));
    return reply.code(204).send();
  });

  app.get('/_sandbox/jira/writes', () => ({ writes: jira.control.requests.filter((r) => r.method !== 'GET'), webhooks: jira.control.webhooks }));

  app.post('/_sandbox/jira/issues/:key/webhook', async (request, reply) => {
    const body = parse(z.strictObject({ event: z.enum(['jira:issue_created', 'jira:issue_updated']).default('jira:issue_created') }), request.body ?? {}, reply);
    if (body === undefined) return reply;
    const secret = deps.webhooks?.jiraSecret;
    if (deps.webhooks === undefined || secret === undefined) return notConfigured(reply, 'Jira');
    return jira.control.sendIssueWebhook((request.params as { key: string }).key, body.event, {
      intakeUrl: `${deps.webhooks.intakeBaseUrl}/v1/webhooks/jira`,
      secret,
      maxAttempts: 3,
      backoffMs: 500,
    });
  });

  // --- Mail ---------------------------------------------------------------------------------------------------------
  app.get('/_sandbox/emails', () => (smtp === undefined ? [] : smtp.messages));
}
