/**
 * The control API of the simulated ServiceNow, under /_sandbox/servicenow: add incidents, requested items and approval
 * rows, decide approvals, inject faults and a rate limit, send the Business Rule's signed webhook to the intake, and
 * read or clear every write received. Unknown tickets and approvals answer 404; unknown users named in a body 400.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { registerFaultRoutes } from './control-api-faults';
import { conflict, notConfigured, notFound, parse, strip, unknownReference } from './control-http';
import type { ServiceNowSim, SnRecord } from './servicenow';
import { findUser } from './servicenow/seed';

/** Where the simulated ServiceNow delivers its webhooks. */
export interface ServiceNowWebhookTarget {
  readonly intakeBaseUrl: string;
  readonly secret?: string;
}

const serial = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);
const text = z.string().min(1).max(500);
const number = z.string().regex(/^[A-Z]{2,8}[0-9]{4,12}$/);
const userKey = z.string().min(1).max(100);

const incident = z.strictObject({
  number: number.optional(),
  short_description: text.optional(),
  requester: userKey.optional(),
  u_device_serial: serial.optional(),
  category: z.string().max(80).optional(),
});

const requestedItem = z.strictObject({
  number: number.optional(),
  short_description: text.optional(),
  requester: userKey.optional(),
});

const approvalState = z.enum(['requested', 'approved', 'rejected', 'cancelled', 'not_required']);

const taskParams = z.strictObject({ number: z.string().min(1).max(100) });
const approvalParams = z.strictObject({ sysId: z.string().min(1).max(100) });

const rateLimit = z.strictObject({ limit: z.number().int().min(1).max(1_000_000), windowMs: z.number().int().min(1).max(86_400_000) });

export function registerServiceNowControlApi(app: FastifyInstance, deps: { servicenow: ServiceNowSim; webhooks?: ServiceNowWebhookTarget }): void {
  const { servicenow } = deps;
  const { control, state } = servicenow;

  /** The number is free (409 otherwise) and the requester exists (400 otherwise); without a number, skips taken ones. */
  const checkTicket = (reply: FastifyReply, prefix: 'INC' | 'RITM', seed: { number?: string | undefined; requester?: string | undefined }): boolean => {
    if (seed.number !== undefined && control.task(seed.number) !== undefined) {
      conflict(reply, `ticket ${seed.number} already exists in the ServiceNow sandbox`);
      return false;
    }
    if (seed.requester !== undefined && findUser(state, seed.requester) === undefined) {
      unknownReference(reply, 'requester', `no user ${seed.requester} in the ServiceNow sandbox`);
      return false;
    }
    if (seed.number === undefined) {
      // The next generated number may have been taken by a ticket added with an explicit number.
      const numberAt = (n: number): string => `${prefix}${String(n).padStart(7, '0')}`;
      let next = state.counters[prefix] ?? 10001;
      while (control.task(numberAt(next)) !== undefined) next += 1;
      state.counters[prefix] = next;
    }
    return true;
  };

  const approvalRows = (taskSysId: string): SnRecord[] => Object.values(state.tables.sysapproval_approver).filter((a) => a.sysapproval === taskSysId);

  app.get('/_sandbox/servicenow/tickets', () => ({ incident: state.tables.incident, sc_req_item: state.tables.sc_req_item }));

  app.post('/_sandbox/servicenow/incidents', (request, reply) => {
    const seed = parse(incident, request.body ?? {}, reply);
    if (seed === undefined || !checkTicket(reply, 'INC', seed)) return reply;
    return reply.code(201).send(control.addIncident(strip(seed)));
  });

  app.post('/_sandbox/servicenow/requested-items', (request, reply) => {
    const seed = parse(requestedItem, request.body ?? {}, reply);
    if (seed === undefined || !checkTicket(reply, 'RITM', seed)) return reply;
    return reply.code(201).send(control.addRequestedItem(strip(seed)));
  });

  app.get('/_sandbox/servicenow/tickets/:number/approvals', (request, reply) => {
    const params = parse(taskParams, request.params, reply);
    if (params === undefined) return reply;
    const task = control.task(params.number);
    if (task === undefined) return notFound(reply, `no ticket ${params.number} in the ServiceNow sandbox`);
    return approvalRows(task.record.sys_id);
  });

  app.post('/_sandbox/servicenow/tickets/:number/approvals', (request, reply) => {
    const params = parse(taskParams, request.params, reply);
    if (params === undefined) return reply;
    const body = parse(z.strictObject({ approver: userKey, state: approvalState.optional() }), request.body, reply);
    if (body === undefined) return reply;
    const task = control.task(params.number);
    if (task === undefined) return notFound(reply, `no ticket ${params.number} in the ServiceNow sandbox`);
    if (findUser(state, body.approver) === undefined) return unknownReference(reply, 'approver', `no user ${body.approver} in the ServiceNow sandbox`);
    return reply.code(201).send(control.addApproval(strip({ task: task.record.sys_id, approver: body.approver, state: body.state })));
  });

  app.put('/_sandbox/servicenow/approvals/:sysId', (request, reply) => {
    const params = parse(approvalParams, request.params, reply);
    if (params === undefined) return reply;
    const body = parse(z.strictObject({ state: approvalState }), request.body, reply);
    if (body === undefined) return reply;
    if (state.tables.sysapproval_approver[params.sysId] === undefined) return notFound(reply, `no approval ${params.sysId} in the ServiceNow sandbox`);
    return control.setApprovalDecision(params.sysId, body.state);
  });

  app.get('/_sandbox/servicenow/writes', () => ({ writes: control.writes, webhooksSent: control.webhooksSent }));

  app.post('/_sandbox/servicenow/records/clear', (_request, reply) => {
    control.clearRecords();
    return reply.code(204).send();
  });

  registerFaultRoutes(app, '/_sandbox/servicenow', control.faults, 'ServiceNow');

  app.put('/_sandbox/servicenow/rate-limit', (request, reply) => {
    const rule = parse(rateLimit, request.body, reply);
    if (rule === undefined) return reply;
    control.setRateLimit(rule);
    return reply.code(204).send();
  });

  app.delete('/_sandbox/servicenow/rate-limit', (_request, reply) => {
    control.setRateLimit(undefined);
    return reply.code(204).send();
  });

  app.post('/_sandbox/servicenow/tickets/:number/webhook', async (request, reply) => {
    const params = parse(taskParams, request.params, reply);
    if (params === undefined) return reply;
    const body = parse(z.strictObject({ event: z.enum(['created', 'updated']).optional(), deviceSerial: serial.optional() }), request.body ?? {}, reply);
    if (body === undefined) return reply;
    const secret = deps.webhooks?.secret;
    if (deps.webhooks === undefined || secret === undefined) return notConfigured(reply, 'ServiceNow: the intake\'s webhook secret is not set, so the sandbox cannot sign deliveries');
    if (control.task(params.number) === undefined) return notFound(reply, `no ticket ${params.number} in the ServiceNow sandbox`);
    return control.sendWebhook(params.number, { intakeUrl: `${deps.webhooks.intakeBaseUrl}/v1/webhooks/servicenow`, secret, ...strip(body) });
  });
}
