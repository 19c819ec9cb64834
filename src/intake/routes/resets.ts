import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ResetRequest } from '../../domain/request';
import { StoreOutcomeUnknownError } from '../../store/errors';
import type { IdempotencyStore, StoredResponse } from '../../store/idempotency';
import { decodeCursor, type RequestStore } from '../../store/requests';
import { HttpError, notFound } from '../errors';
import { callerOf } from '../plugins/auth';
import { hasRole } from '../../auth/tokens';
import { JiraError } from '../../ticketing/jira';
import { ServiceNowError } from '../../ticketing/servicenow';
import { adminCenterDeviceLink, isFailureReason, reasonLink } from '../../domain/reasons';
import type { WorkflowData } from '../../domain/workflow';
import { apiTimelineEntry, deviceRefFrom, deviceSchema, email, progressSchema, errorSchema, reasonSchema, requestIdParams, requestSchema, stateSchema, ticketSchema, timelineEntrySchema } from '../schemas/common';
import type { SubmissionService } from '../services/submissions';

export interface ResetRoutesDeps {
  readonly submissions: SubmissionService;
  readonly store: RequestStore;
  readonly idempotency: IdempotencyStore;
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

/**
 * A pending Idempotency-Key claim this old, whose request was never stored, belonged to a call that stopped without
 * an answer (Redis went away mid-commit): a retry takes it over. Longer than any submission can take.
 */
const ABANDONED_CLAIM_MS = 30_000;

function withLinks(request: ResetRequest) {
  return { ...request, linkedTickets: [...request.linkedTickets], links: { self: selfLink(request.id) } };
}

async function sendStored(reply: FastifyReply, stored: StoredResponse): Promise<FastifyReply> {
  if (stored.location !== undefined) void reply.header('location', stored.location);
  return reply.code(stored.statusCode as 202).header('idempotent-replayed', 'true').send(stored.body);
}

/** A ticketing system that failed while a cited ticket was read: 503 to retry later, 502 for what a retry will not fix. */
function ticketingFailure(err: unknown, system: 'jira' | 'servicenow'): unknown {
  if (!(err instanceof JiraError) && !(err instanceof ServiceNowError)) return err;
  const name = system === 'jira' ? 'Jira' : 'ServiceNow';
  if (err.kind === 'permanent') {
    return new HttpError(502, 'ticketing_error', `${name} refused to show the ticket (${err.code}); nothing was stored. Check the integration's credentials and permissions.`);
  }
  const ms = 'retryAfterMs' in err && typeof err.retryAfterMs === 'number' ? err.retryAfterMs : 30_000;
  const seconds = Math.min(Math.max(1, Math.ceil(ms / 1000)), 3600);
  return new HttpError(503, 'ticketing_unavailable', `${name} could not be read just now; nothing was stored. Retry later.`, undefined, { 'retry-after': String(seconds) });
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
            503: errorSchema,
          },
        },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        if (request.body.ticket !== undefined && !hasRole(caller, 'ticket')) {
          throw new HttpError(403, 'forbidden', 'Citing a ticket needs the "ticket" role: the request would be built from that ticket and answered in it');
        }
        const key = request.headers['idempotency-key'];
        let requestId = randomUUID();
        if (key !== undefined) {
          const claim = await deps.idempotency.claim(caller.name, key, request.body, requestId);
          if (claim.kind === 'replay') return sendStored(reply, claim.response);
          if (claim.kind === 'mismatch') {
            throw new HttpError(422, 'idempotency_key_reused', 'This Idempotency-Key was used with a different body');
          }
          if (claim.kind === 'in_progress') {
            // A first call whose commit went unanswered may have stored its request: if so, this is its answer.
            const earlier = claim.requestId === undefined ? undefined : await deps.store.getCurrent(claim.requestId);
            if (earlier !== undefined && claim.requestId !== undefined) {
              const found: StoredResponse = { statusCode: 202, body: { id: claim.requestId, state: earlier.request.state, links: { self: selfLink(claim.requestId) } }, location: selfLink(claim.requestId) };
              await deps.idempotency.complete(caller.name, key, request.body, found);
              return sendStored(reply, found);
            }
            if (claim.at === undefined || Date.now() - claim.at < ABANDONED_CLAIM_MS) {
              throw new HttpError(409, 'idempotency_in_progress', 'A request with this Idempotency-Key is still being processed; retry shortly');
            }
            // The first call stopped long ago and stored nothing: this one takes its place.
            requestId = randomUUID();
            await deps.idempotency.takeOver(caller.name, key, request.body, requestId);
          }
        }

        let stored: StoredResponse;
        try {
          const { device, requestedBy, reason, ticket } = request.body;
          const outcome =
            ticket === undefined
              ? await deps.submissions.submit({
                  device: deviceRefFrom(device ?? {}),
                  requestedBy: requestedBy ?? '',
                  ...(reason === undefined ? {} : { reason }),
                  source: 'api',
                  submittedBy: caller.name,
                }, request.log, requestId)
              : await deps.submissions
                  .submitCitingTicket({
                    ticket,
                    ...(device === undefined ? {} : { device: deviceRefFrom(device) }),
                    ...(requestedBy === undefined ? {} : { requestedBy }),
                    ...(reason === undefined ? {} : { reason }),
                    submittedBy: caller.name,
                  }, request.log, requestId)
                  .catch((err: unknown) => {
                    throw ticketingFailure(err, ticket.system);
                  });
          if (outcome.kind === 'refused') {
            stored = { statusCode: 422, body: { error: { code: outcome.code, message: outcome.message } } };
          } else if (outcome.kind === 'used') {
            stored = {
              statusCode: 409,
              body: {
                error: {
                  code: 'ticket_already_used',
                  message: `Ticket ${ticket?.key ?? ''} already had request ${outcome.activeId} (${outcome.state}); a ticket starts at most one reset`,
                  details: { activeRequestId: outcome.activeId, links: { active: selfLink(outcome.activeId) } },
                },
              },
            };
          } else if (outcome.kind === 'busy') {
            stored = {
              statusCode: 409,
              body: {
                error: {
                  code: outcome.conflict === 'device' ? 'device_has_active_request' : 'ticket_has_active_request',
                  message: `The ${outcome.conflict} already has an active request`,
                  details: { activeRequestId: outcome.activeId, links: { active: selfLink(outcome.activeId) } },
                },
              },
            };
          } else {
            const { id, state } = outcome.request;
            stored = { statusCode: 202, body: { id, state, links: { self: selfLink(id) } }, location: selfLink(id) };
          }
        } catch (err) {
          // After an unanswered commit the claim stays, with the request id: a retry with the key finds the request.
          if (key !== undefined && !(err instanceof StoreOutcomeUnknownError)) await deps.idempotency.abandon(caller.name, key).catch(() => undefined);
          throw err;
        }
        // A device conflict is not stored against the key: the same request may succeed once the device is free.
        if (key !== undefined && stored.statusCode === 202) await deps.idempotency.complete(caller.name, key, request.body, stored);
        if (key !== undefined && stored.statusCode !== 202) await deps.idempotency.abandon(caller.name, key);
        if (stored.location !== undefined) void reply.header('location', stored.location);
        return reply.code(stored.statusCode as 202).send(stored.body as never);
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
            400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 503: errorSchema },
        },
      },
      async (request) => {
        const found = await deps.store.get(request.params.id);
        if (found === undefined) throw notFound(`No request with id ${request.params.id}`);
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
          response: { 200: z.object({ items: z.array(requestSchema), nextCursor: z.string().nullable() }), 400: errorSchema, 401: errorSchema, 403: errorSchema, 503: errorSchema },
        },
      },
      async (request) => {
        const { limit, cursor, ...filter } = request.query;
        const position = cursor === undefined ? undefined : decodeCursor(cursor);
        if (cursor !== undefined && position === undefined) throw new HttpError(400, 'validation_failed', 'cursor is not valid', [{ field: 'querystring.cursor', message: 'not a cursor from this API' }]);
        const page = await deps.store.list(
          { ...(filter.state === undefined ? {} : { state: filter.state }), ...(filter.ticket === undefined ? {} : { ticket: filter.ticket }), ...(filter.device === undefined ? {} : { device: filter.device }) },
          limit,
          position,
        );
        return { items: page.items.map(withLinks), nextCursor: page.nextCursor };
      },
    );
  };
}
