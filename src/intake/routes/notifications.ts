import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { JIRA_ISSUE_KEY, SERVICENOW_NUMBER, SERVICENOW_SYS_ID } from '../../domain/identifiers';
import { DELIVERY_STATES } from '../../notify/ledger';
import type { NotificationActions } from '../../app/notifications';
import { NOTIFY_EVENTS } from '../../queue/catalog';
import { callerOf } from '../plugins/auth';
import { errorSchema, requestIdParams } from '../../http/schemas';

const ticketSchema = z.object({ system: z.enum(['servicenow', 'jira']), key: z.string() });

const deliverySchema = z
  .object({
    id: z.string().describe('The notification (notify job) id: `<request id>|<event>|<channel>[|<system>|<key>][|a<attempt>]`'),
    requestId: z.uuid(),
    event: z.enum(NOTIFY_EVENTS),
    channel: z.enum(['ticket', 'email']),
    ticket: ticketSchema.optional().describe('linked_to_active_request: the other ticket the note goes to'),
    requestAttempt: z.int().optional().describe('The request attempt it announces, from 2 on (an operator retried the request)'),
    state: z.enum(DELIVERY_STATES),
    attempts: z.number().int(),
    lastError: z.object({ code: z.string(), message: z.string(), permanent: z.boolean() }).optional(),
    skippedReason: z.string().optional(),
    steps: z.record(z.string(), z.string()).describe('Each delivered step (work_note, comment, state, transition, email) and when'),
    updatedAt: z.string().optional(),
    deliveredAt: z.string().optional(),
    nextAttemptAt: z.string().optional(),
    jobState: z.string(),
  })
  .describe('One notification and its delivery');

const params = requestIdParams;
const retryParams = params.extend({ event: z.enum(NOTIFY_EVENTS), channel: z.enum(['ticket', 'email']) });
const retryBody = z
  .strictObject({
    ticket: z
      .strictObject({ system: z.enum(['servicenow', 'jira']), key: z.string().max(32) })
      .refine((t) => (t.system === 'jira' ? JIRA_ISSUE_KEY.test(t.key) : SERVICENOW_NUMBER.test(t.key) || SERVICENOW_SYS_ID.test(t.key)), { error: 'key is not a valid ticket key for that system', path: ['key'] })
      .optional()
      .describe('For linked_to_active_request: the linked ticket'),
  })
  .nullish();
const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema, 500: errorSchema, 503: errorSchema };

/** A request's notifications (ticket write-back, email) and their delivery, and an operator's retry of one. */
export function notificationRoutes(deps: { notifications: NotificationActions }) {
  return (fastify: FastifyInstance): void => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();

    app.get(
      '/v1/resets/:id/notifications',
      {
        onRequest: fastify.requireRole('submit', 'approve', 'operate'),
        schema: {
          summary: 'A request\'s notifications and their delivery',
          description: 'One entry per (event, channel): pending, delivering, retrying, delivered, skipped (with why) or undeliverable (with the last error).',
          tags: ['notifications'],
          security: [{ bearer: [] }],
          params,
          response: { 200: z.object({ items: z.array(deliverySchema) }), ...errors },
        },
      },
      async (request) => {
        return { items: await deps.notifications.list(request.params.id) };
      },
    );

    app.post(
      '/v1/resets/:id/notifications/:event/:channel/retry',
      {
        onRequest: fastify.requireRole('operate'),
        schema: {
          summary: 'Retry a notification',
          description:
            'Runs an undeliverable (or waiting) notification again, with fresh attempts. Steps already delivered (a work note, a state change, an email) ' +
            'are not repeated. Recorded in the request\'s timeline. 409 when it was delivered already, or is being delivered now.',
          tags: ['notifications'],
          security: [{ bearer: [] }],
          params: retryParams,
          body: retryBody,
          response: { 200: deliverySchema, ...errors, 415: errorSchema },
        },
      },
      async (request) => {
        const { id, event, channel } = request.params;
        const ticket = request.body?.ticket;
        return deps.notifications.retry({ requestId: id, event, channel, ...(ticket === undefined ? {} : { ticket }) }, callerOf(request).name);
      },
    );
  };
}
