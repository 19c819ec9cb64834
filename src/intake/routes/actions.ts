import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { callerOf } from '../plugins/auth';
import { errorSchema, reasonSchema, requestIdParams, stateSchema } from '../../http/schemas';
import type { RequestActions } from '../../app/request-actions';

const params = requestIdParams;
const result = z.object({ id: z.uuid(), state: stateSchema });
const approval = z
  .object({
    id: z.uuid(),
    result: z
      .enum(['approval_recorded', 'already_approved'])
      .describe('approval_recorded: this call recorded the approval (an approval_recorded event in the timeline). already_approved: the request had its approval already; nothing was recorded'),
    approvedBy: z.string().describe('Who approved: this caller, or for already_approved whoever approved first (policy:not-required when policy needs no approval)'),
    state: stateSchema.describe('The request\'s state now. An approval does not move the request itself: the worker reads it and moves the request on'),
    next: stateSchema.optional().describe('The state the approval leads to (approved), while the request has not reached it. A request still being checked waits there for its eligibility verdict first'),
  })
  .describe('What the approval did');
const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema, 415: errorSchema, 500: errorSchema, 503: errorSchema };

/** Actions on a request: approve (API requests), cancel. Each needs a role and is recorded in the timeline. */
export function actionRoutes(deps: { actions: RequestActions }) {
  return (fastify: FastifyInstance): void => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();

    app.post(
      '/v1/resets/:id/approve',
      {
        onRequest: fastify.requireRole('approve'),
        schema: {
          summary: 'Approve an API request',
          description:
            'For requests without a ticket. The approver is the token\'s name, which must differ from requestedBy and from the caller that submitted ' +
            'the request (403 self_approval) and be on APPROVAL_ALLOWED_APPROVERS when that is set (403 approver_not_allowed). A ticket\'s approval ' +
            'is read from ServiceNow or Jira instead (409 approval_in_ticket). The approval is recorded as an approval_recorded event in the ' +
            'timeline; the worker then moves the request to approved (at once when it is awaiting_approval, else once the device qualifies). ' +
            'Approving again answers already_approved and records nothing.',
          tags: ['actions'],
          security: [{ bearer: [] }],
          params,
          response: { 200: approval, ...errors },
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
          description: 'A new attempt on the same record, from the device check; the timeline is kept. After a timeout the first reset may still have taken effect: a retry makes a new passcode. 409 `request_changed` while the last attempt is still finishing: retry in a few seconds.',
          tags: ['actions'],
          security: [{ bearer: [] }],
          params,
          response: { 200: result, ...errors },
        },
      },
      async (request) => {
        return deps.actions.retry(request.params.id, callerOf(request).name, request.log);
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
