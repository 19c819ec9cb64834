import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { callerOf } from '../plugins/auth';
import { errorSchema, reasonSchema, requestIdParams, stateSchema } from '../schemas/common';
import type { OperatorActions } from '../services/operator-actions';

const params = requestIdParams;
const result = z.object({ id: z.uuid(), state: stateSchema });
const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema, 415: errorSchema, 503: errorSchema };

/** Actions on a request: approve (API requests), cancel. Each needs a role and is recorded in the timeline. */
export function actionRoutes(deps: { actions: OperatorActions }) {
  return (fastify: FastifyInstance): void => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();

    app.post(
      '/v1/resets/:id/approve',
      {
        onRequest: fastify.requireRole('approve'),
        schema: {
          summary: 'Approve an API request',
          description:
            'For requests without a ticket. The approver is the token\'s name, which must differ from requestedBy (403 self_approval) ' +
            'and be on APPROVAL_ALLOWED_APPROVERS when that is set. A ticket\'s approval is read from ServiceNow or Jira instead (409).',
          tags: ['actions'],
          security: [{ bearer: [] }],
          params,
          response: { 200: result, ...errors },
        },
      },
      async (request) => {
        return deps.actions.approve(request.params.id, callerOf(request).name);
      },
    );

    app.post(
      '/v1/resets/:id/retry',
      {
        onRequest: fastify.requireRole('operate'),
        schema: {
          summary: 'Retry a failed or timed-out request',
          description: 'A new attempt on the same record, from the device check; the timeline is kept. After a timeout the first reset may still have taken effect: a retry makes a new passcode.',
          tags: ['actions'],
          security: [{ bearer: [] }],
          params,
          response: { 200: result, ...errors },
        },
      },
      async (request) => {
        return deps.actions.retry(request.params.id, callerOf(request).name);
      },
    );

    app.post(
      '/v1/resets/:id/cancel',
      {
        onRequest: fastify.requireRole('operate'),
        schema: {
          summary: 'Cancel a request that is not final',
          description: 'Releases its device lock. A resetPasscode already sent to Graph cannot be taken back.',
          tags: ['actions'],
          security: [{ bearer: [] }],
          params,
          body: z.strictObject({ reason: reasonSchema.optional() }).nullish(),
          response: { 200: result, ...errors },
        },
      },
      async (request) => {
        return deps.actions.cancel(request.params.id, callerOf(request).name, request.body?.reason);
      },
    );
  };
}
