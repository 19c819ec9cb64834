/**
 * Fault rules over the control API, one schema for every simulated system: Graph (/_sandbox/faults), ServiceNow
 * (/_sandbox/servicenow/faults) and Jira (/_sandbox/jira/faults). Each system matches `path` against its own paths:
 * Graph with the version (/v1.0/…), ServiceNow without the mount prefix (/api/now/table/incident/*), Jira from /rest/ on.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { notFound, parse, strip } from './control-http';
import type { TrackedFaultInjector } from './control';
import type { Fault, FaultRuleInput } from './faults';

const fault = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('status'), status: z.number().int().min(400).max(599), retryAfterSeconds: z.number().int().min(0).nullable().optional() }),
  z.strictObject({ kind: z.literal('latency'), ms: z.number().int().min(0).max(120_000) }),
  z.strictObject({ kind: z.literal('reset') }),
  z.strictObject({ kind: z.literal('lostResponse') }),
  z.strictObject({
    kind: z.literal('redirect'),
    status: z.union([z.literal(301), z.literal(302), z.literal(303), z.literal(307), z.literal(308)]),
    location: z.url({ protocol: /^https?$/ }).max(2000),
  }),
  z
    .strictObject({ kind: z.literal('body'), json: z.unknown().optional(), text: z.string().max(65_536).optional() })
    .refine((f) => (f.json === undefined) !== (f.text === undefined), { error: 'give json or text' }),
]);

export const faultRuleSchema = z
  .strictObject({
    method: z.string().regex(/^[A-Za-z]{3,7}$/).optional(),
    path: z.string().min(1).max(300).describe('e.g. /v1.0/deviceManagement/managedDevices/*/resetPasscode; * is one segment, ** any rest'),
    sequence: z.array(fault.nullable()).max(1000).optional(),
    fault: fault.optional(),
    probability: z.number().min(0).max(1).optional(),
  })
  .refine((r) => r.sequence !== undefined || r.fault !== undefined, { error: 'give a sequence or a fault' });

/** A validated rule as the FaultInjector takes it. */
export function faultRuleInput(rule: z.infer<typeof faultRuleSchema>): FaultRuleInput {
  return strip({
    ...rule,
    sequence: rule.sequence?.map((f) => (f === null ? null : (strip(f) as Fault))),
    fault: rule.fault === undefined ? undefined : (strip(rule.fault) as Fault),
  });
}

const faultIdParams = z.strictObject({ id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) });

/**
 * POST `${prefix}/faults` (201 {id}), DELETE `${prefix}/faults/{id}` (204, or 404 for an id that is not a rule),
 * DELETE `${prefix}/faults` (204, every rule).
 */
export function registerFaultRoutes(app: FastifyInstance, prefix: string, faults: TrackedFaultInjector, what: string): void {
  app.post(`${prefix}/faults`, (request, reply) => {
    const rule = parse(faultRuleSchema, request.body, reply);
    if (rule === undefined) return reply;
    return reply.code(201).send({ id: faults.add(faultRuleInput(rule)) });
  });

  app.delete(`${prefix}/faults/:id`, (request, reply) => {
    const params = parse(faultIdParams, request.params, reply);
    if (params === undefined) return reply;
    if (!faults.has(params.id)) return notFound(reply, `no ${what} fault rule ${String(params.id)}`);
    faults.remove(params.id);
    return reply.code(204).send();
  });

  app.delete(`${prefix}/faults`, (_request, reply) => {
    faults.clear();
    return reply.code(204).send();
  });
}
