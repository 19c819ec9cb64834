import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { GUID } from '../../domain/identifiers';
import { wakeJob, type Queues } from '../../queue/queues';
import type { RequestStore } from '../../store/requests';
import type { SubmissionControl } from '../../store/submission-control';
import { callerOf } from '../plugins/auth';
import { errorSchema, reasonSchema } from '../schemas/common';

const params = z.strictObject({ tenantId: z.string().regex(GUID, { error: 'must be the tenant id (GUID)' }) });
const status = z.object({
  tenantId: z.string(),
  paused: z.object({ by: z.string(), at: z.string(), reason: z.string().optional() }).nullable(),
  blastRadius: z.object({ limitPerHour: z.number(), usedLastHour: z.number(), overridden: z.boolean() }),
});
const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 503: errorSchema };
/** Routes that take a body (optional or not) also answer 415 to a body that is not JSON. */
const bodyErrors = { ...errors, 415: errorSchema };

/**
 * Submission controls per tenant: read them (operate), pause and resume (admin), and set the blast-radius limit
 * (admin). Held requests are woken at once when submissions may go on.
 */
export function tenantRoutes(deps: { control: SubmissionControl; store: RequestStore; queues: Queues }) {
  async function wakeHeld(): Promise<void> {
    for (const request of (await deps.store.list({ state: 'approved' }, 200)).items) await wakeJob(deps.queues, request.id);
  }

  return (fastify: FastifyInstance): void => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();

    app.get('/v1/tenants/:tenantId/submissions', {
      onRequest: fastify.requireRole('operate'),
      schema: { summary: 'Submission controls of a tenant', tags: ['tenants'], security: [{ bearer: [] }], params, response: { 200: status, ...errors } },
    }, (request) => deps.control.status(request.params.tenantId));

    app.post('/v1/tenants/:tenantId/pause', {
      onRequest: fastify.requireRole('admin'),
      schema: {
        summary: 'Pause a tenant\'s resetPasscode submissions',
        description: 'Requests keep going through checks and approval, then wait before submitting. Nothing fails.',
        tags: ['tenants'],
        security: [{ bearer: [] }],
        params,
        body: z.strictObject({ reason: reasonSchema.optional() }).nullish(),
        response: { 200: status, ...bodyErrors },
      },
    }, async (request) => {
      await deps.control.pause(request.params.tenantId, callerOf(request).name, request.body?.reason);
      request.log.warn({ tenantId: request.params.tenantId }, 'submissions paused');
      return deps.control.status(request.params.tenantId);
    });

    app.post('/v1/tenants/:tenantId/resume', {
      onRequest: fastify.requireRole('admin'),
      schema: { summary: 'Resume a tenant\'s submissions', tags: ['tenants'], security: [{ bearer: [] }], params, response: { 200: status, ...bodyErrors } },
    }, async (request) => {
      await deps.control.resume(request.params.tenantId);
      request.log.warn({ tenantId: request.params.tenantId }, 'submissions resumed');
      await wakeHeld();
      return deps.control.status(request.params.tenantId);
    });

    app.put('/v1/tenants/:tenantId/blast-radius', {
      onRequest: fastify.requireRole('admin'),
      schema: {
        summary: 'Set the blast-radius limit (resets submitted per rolling hour)',
        tags: ['tenants'],
        security: [{ bearer: [] }],
        params,
        body: z.strictObject({ limitPerHour: z.number().int().min(1).max(100_000) }),
        response: { 200: status, ...bodyErrors },
      },
    }, async (request) => {
      await deps.control.setLimit(request.params.tenantId, request.body.limitPerHour);
      request.log.warn({ tenantId: request.params.tenantId, limitPerHour: request.body.limitPerHour }, 'blast-radius limit set');
      await wakeHeld();
      return deps.control.status(request.params.tenantId);
    });
  };
}
