import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiSubmissions } from '../../app/api-submissions';
import type { RequestQueries } from '../../app/request-queries';
import type { ResetRequest } from '../../domain/request';
import { callerOf } from '../plugins/auth';
import { accessLog } from '../access-log';
import { hasRole } from '../../auth/tokens';
import { adminCenterDeviceLink, isFailureReason, reasonLink } from '../../domain/reasons';
import type { WorkflowData } from '../../domain/workflow';
import { apiTimelineEntry, deviceRefFrom, deviceSchema, email, progressSchema, errorSchema, reasonSchema, requestIdParams, requestSchema, stateSchema, ticketSchema, timelineEntrySchema } from '../../http/schemas';

export interface ResetRoutesDeps {
  readonly submissions: ApiSubmissions;
  readonly requests: RequestQueries;
  readonly adminCenterDeviceUrl: string;
}

/** The workflow data a caller may see: everything but the internal bookkeeping of checks and attempts. */
const VISIBLE = ['managedDeviceId', 'deviceName', 'operatingSystem', 'osVersion', 'effect', 'eligibilityNotes', 'candidates', 'approvalDeadline', 'approver', 'submittedAt', 'actionState', 'actionErrorCode', 'outcomeReason', 'held', 'attempt', 'dryRun'] as const;

function progressOf(workflow: WorkflowData): z.infer<typeof progressSchema> {
  const picked: Record<string, unknown> = {};
  for (const key of VISIBLE) if (workflow[key] !== undefined) picked[key] = workflow[key];
  return progressSchema.parse(picked);
}

const createBody = z
  .strictObject({
    device: deviceSchema.optional().describe('Required without a ticket. With a ticket, optional: it must then be the device the ticket names'),
    requestedBy: email.optional().describe('UPN or email of the person whose device is locked. Required without a ticket; with one, it must be the ticket\'s requester'),
    reason: reasonSchema.optional(),
    ticket: ticketSchema
      .optional()
      .describe('Needs the "ticket" role. The request is then built from the ticket as its system of record holds it (device, requester), and a ticket starts at most one request'),
  })
  .superRefine((body, ctx) => {
    if (body.ticket !== undefined) return;
    if (body.device === undefined) ctx.addIssue({ code: 'custom', path: ['device'], message: 'required (unless a ticket is cited)' });
    if (body.requestedBy === undefined) ctx.addIssue({ code: 'custom', path: ['requestedBy'], message: 'required (unless a ticket is cited)' });
  });

const acceptedSchema = z.object({
  id: z.uuid(),
  state: stateSchema,
  links: z.object({ self: z.string() }),
});

const idempotencyHeader = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, { error: 'printable ASCII, 1–255 characters' })
    .optional()
    .describe('Makes retries safe: the same key and body return the first answer'),
});

const selfLink = (id: string): string => `/v1/resets/${id}`;

function withLinks(request: ResetRequest) {
  return { ...request, linkedTickets: [...request.linkedTickets], links: { self: selfLink(request.id) } };
}

export function resetRoutes(deps: ResetRoutesDeps) {
  return (fastify: FastifyInstance): void => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();

    app.post(
      '/v1/resets',
      {
        onRequest: fastify.requireRole('submit'),
        schema: {
          summary: 'Ask for a passcode reset',
          description:
            'Accepts a reset request and queues it durably. 202 means the request and its job are stored in Redis. ' +
            'A device (or ticket) that already has an active request gets 409 with that request\'s id. Citing a ticket needs the ' +
            '"ticket" role: the ticket is read from ServiceNow or Jira, and the request takes its device and requester from ' +
            'it (422 when the ticket cannot be read, is outside the configured projects and tables, or disagrees with the ' +
            'device or requester given); a ticket that has had a request is refused with 409 ticket_already_used.',
          tags: ['resets'],
          security: [{ bearer: [] }],
          headers: idempotencyHeader,
          body: createBody,
          response: {
            202: acceptedSchema,
            400: errorSchema,
            401: errorSchema,
            403: errorSchema,
            409: errorSchema,
            413: errorSchema,
            415: errorSchema,
            422: errorSchema,
            429: errorSchema,
            502: errorSchema,
            500: errorSchema,
            503: errorSchema,
          },
        },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        const { device, requestedBy, reason, ticket } = request.body;
        const accepted = await deps.submissions.submit(
          { name: caller.name, mayCiteTickets: hasRole(caller, 'ticket') },
          {
            ...(device === undefined ? {} : { device: deviceRefFrom(device) }),
            ...(requestedBy === undefined ? {} : { requestedBy }),
            ...(reason === undefined ? {} : { reason }),
            ...(ticket === undefined ? {} : { ticket }),
          },
          { ...(request.headers['idempotency-key'] === undefined ? {} : { idempotencyKey: request.headers['idempotency-key'] }), asSent: request.body, log: accessLog(request) },
        );
        if (accepted.replayed) void reply.header('idempotent-replayed', 'true');
        return reply
          .code(202)
          .header('location', selfLink(accepted.id))
          .send({ id: accepted.id, state: accepted.state, links: { self: selfLink(accepted.id) } });
      },
    );

    app.get(
      '/v1/resets/:id',
      {
        onRequest: fastify.requireRole('submit', 'approve', 'operate'),
        schema: {
          summary: 'A request: its state and timeline',
          description:
            'The timeline lists, oldest first, moves (from → to) and events that left the state as it was (approval_recorded, note). ' +
            'links.failureDetails, on an outcome other than success, is the Microsoft Learn page for its reason (progress.outcomeReason): for ' +
            'device_not_found and device_ambiguous, how to find the device in the Intune admin center and read its Intune device id; the ' +
            'timeline\'s last reason lists the candidates, name (platform, id).',
          tags: ['resets'],
          security: [{ bearer: [] }],
          params: requestIdParams,
          response: {
            200: requestSchema.extend({
              timeline: z.array(timelineEntrySchema),
              progress: progressSchema,
              links: z.object({ self: z.string(), adminCenter: z.string().optional(), failureDetails: z.string().optional() }),
            }),
            400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 500: errorSchema, 503: errorSchema },
        },
      },
      async (request) => {
        const found = await deps.requests.get(request.params.id);
        const { workflow } = found;
        const reason = workflow.outcomeReason;
        const links = {
          self: selfLink(found.request.id),
          ...(workflow.managedDeviceId === undefined ? {} : { adminCenter: adminCenterDeviceLink(deps.adminCenterDeviceUrl, workflow.managedDeviceId) }),
          ...(reason !== undefined && reason !== 'done' && isFailureReason(reason) ? { failureDetails: reasonLink(reason) } : {}),
        };
        return { ...withLinks(found.request), links, progress: progressOf(workflow), timeline: found.timeline.map(apiTimelineEntry) };
      },
    );

    app.get(
      '/v1/resets',
      {
        onRequest: fastify.requireRole('submit', 'approve', 'operate'),
        schema: {
          summary: 'List requests, newest first',
          tags: ['resets'],
          security: [{ bearer: [] }],
          querystring: z.strictObject({
            ticket: z.string().min(1).max(64).optional().describe('A ticket key: the request\'s own or a linked one'),
            device: z.string().min(1).max(64).optional().describe('Any device identifier, as given in the request'),
            state: stateSchema.optional(),
            limit: z.coerce.number().int().min(1).max(200).default(50),
            cursor: z.string().max(200).optional().describe('From the previous page\'s nextCursor'),
          }),
          response: { 200: z.object({ items: z.array(requestSchema), nextCursor: z.string().nullable() }), 400: errorSchema, 401: errorSchema, 403: errorSchema, 500: errorSchema, 503: errorSchema },
        },
      },
      async (request) => {
        const { limit, cursor, ...filter } = request.query;
        const page = await deps.requests.list(
          { ...(filter.state === undefined ? {} : { state: filter.state }), ...(filter.ticket === undefined ? {} : { ticket: filter.ticket }), ...(filter.device === undefined ? {} : { device: filter.device }) },
          limit,
          cursor,
        );
        return { items: page.items.map(withLinks), nextCursor: page.nextCursor };
      },
    );
  };
}
