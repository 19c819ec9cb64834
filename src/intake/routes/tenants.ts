import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { TenantControls } from '../../app/tenant-controls';
import { GUID } from '../../domain/identifiers';
import { callerOf } from '../plugins/auth';
import { errorSchema, reasonSchema } from '../../http/schemas';

const params = z.strictObject({ tenantId: z.string().regex(GUID, { error: 'must be the tenant id (GUID)' }) });
const controls = z.object({
  tenantId: z.string(),
  paused: z.object({ by: z.string(), at: z.string(), reason: z.string().optional() }).nullable(),
  blastRadius: z.object({ limitPerHour: z.number(), usedLastHour: z.number(), overridden: z.boolean() }),
});
const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 500: errorSchema, 503: errorSchema };
/** Routes that take a body (optional or not) also answer 415 to a body that is not JSON. */
const bodyErrors = { ...errors, 415: errorSchema };

/**
 * A tenant's controls: read them (operate), pause and resume its resetPasscode submissions (admin), and set its
 * blast-radius limit (admin), through the same use cases as the dashboard (src/app/tenant-controls.ts): each change is
 * recorded in the tenant action log with the caller's name, and held requests are woken at once when submissions may
 * go on. The read keeps its path, `/submissions`, for the API's callers.
 */
export function tenantRoutes(deps: { tenants: TenantControls }) {
  return (fastify: FastifyInstance): void => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();

    app.get('/v1/tenants/:tenantId/submissions', {
      onRequest: fastify.requireRole('operate'),
      schema: { summary: 'A tenant\'s controls: its pause and its blast-radius limit', tags: ['tenants'], security: [{ bearer: [] }], params, response: { 200: controls, ...errors } },
    }, (request) => deps.tenants.settings(request.params.tenantId));

    app.post('/v1/tenants/:tenantId/pause', {
      onRequest: fastify.requireRole('admin'),
      schema: {
        summary: 'Pause a tenant\'s resetPasscode submissions',
        description: 'Requests keep going through checks and approval, then wait before submitting. Nothing fails.',
        tags: ['tenants'],
        security: [{ bearer: [] }],
        params,
        body: z.strictObject({ reason: reasonSchema.optional() }).nullish(),
        response: { 200: controls, ...bodyErrors },
      },
    }, async (request) => {
      const settings = await deps.tenants.pause(request.params.tenantId, callerOf(request).name, request.body?.reason);
      request.log.warn({ tenantId: request.params.tenantId }, 'submissions paused');
      return settings;
    });

    app.post('/v1/tenants/:tenantId/resume', {
      onRequest: fastify.requireRole('admin'),
      schema: { summary: 'Resume a tenant\'s submissions', tags: ['tenants'], security: [{ bearer: [] }], params, response: { 200: controls, ...bodyErrors } },
    }, async (request) => {
      const settings = await deps.tenants.resume(request.params.tenantId, callerOf(request).name);
      request.log.warn({ tenantId: request.params.tenantId }, 'submissions resumed');
      return settings;
    });

    app.put('/v1/tenants/:tenantId/blast-radius', {
      onRequest: fastify.requireRole('admin'),
      schema: {
        summary: 'Set the blast-radius limit (resets submitted per rolling hour)',
        tags: ['tenants'],
        security: [{ bearer: [] }],
        params,
        body: z.strictObject({ limitPerHour: z.number().int().min(1).max(100_000) }),
        response: { 200: controls, ...bodyErrors },
      },
    }, async (request) => {
      const settings = await deps.tenants.setLimit(request.params.tenantId, callerOf(request).name, request.body.limitPerHour);
      request.log.warn({ tenantId: request.params.tenantId, limitPerHour: request.body.limitPerHour }, 'blast-radius limit set');
      return settings;
    });
  };
}
