import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SERVICENOW_NUMBER, SERVICENOW_SYS_ID, SERVICENOW_TABLE } from '../../domain/identifiers';
import type { TicketRef } from '../../domain/request';
import type { Log } from '../../logging/logger';
import type { ReplayStore } from '../../store/replay';
import { HttpError } from '../../http/errors';
import { deviceRefFrom, deviceSchema, email, errorSchema, reasonSchema } from '../../http/schemas';
import type { NewRequest, SubmissionService } from '../../app/submissions';
import { mapJiraDelivery, type JiraDelivery, type JiraMapping } from '../../domain/jira-mapping';
import { bodyDigest, verifyJiraSignature, verifyServiceNowSignature } from '../webhooks/signature';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: Buffer;
  }
}

export interface WebhookDeps {
  readonly submissions: SubmissionService;
  readonly replays: ReplayStore;
  readonly now?: () => number;
  /** Ticketing systems send whole issues: the webhook routes take larger bodies than the API. */
  readonly bodyLimit: number;
  readonly jira: { readonly secret?: string; readonly toleranceSeconds: number; readonly dedupeTtlSeconds: number; readonly mapping: JiraMapping };
  /** `tables`: SERVICENOW_TABLES; a delivery from another table is acknowledged `ignored` and starts nothing. */
  readonly servicenow: { readonly secret?: string; readonly toleranceSeconds: number; readonly tables: readonly string[] };
}

const ackSchema = z.object({
  status: z.enum(['accepted', 'linked', 'already_active', 'ignored', 'duplicate']),
  id: z.uuid().optional(),
  reason: z.string().optional(),
});
type Ack = z.infer<typeof ackSchema>;

const jiraDeliverySchema = z.looseObject({
  webhookEvent: z.string().max(100),
  timestamp: z.number().int().positive(),
  issue: z.looseObject({ key: z.string().max(32), fields: z.record(z.string(), z.unknown()).optional() }).optional(),
});

const serviceNowBody = z.strictObject({
  event: z.enum(['created', 'updated']),
  table: z.string().regex(SERVICENOW_TABLE),
  sysId: z.string().regex(SERVICENOW_SYS_ID, { error: 'must be a 32-character sys_id' }),
  number: z.string().regex(SERVICENOW_NUMBER, { error: 'must be a task number such as INC0010001' }),
  device: deviceSchema,
  requestedBy: email,
  reason: reasonSchema.optional(),
});

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'invalid_json', 'The body is not valid JSON');
  }
}

function invalid(issues: z.core.$ZodIssue[]): HttpError {
  return new HttpError(400, 'validation_failed', 'The delivery does not match the schema', issues.map((i) => ({ field: ['body', ...i.path.map(String)].join('.'), message: i.message })));
}

function single(header: string | string[] | undefined): string | undefined {
  return Array.isArray(header) ? header[0] : header;
}

/** The webhook answer for each outcome: 202 only when a request was created. */
async function submitFromTicket(submissions: SubmissionService, input: NewRequest & { ticket: TicketRef }, log: Log): Promise<{ code: number; ack: Ack }> {
  const outcome = await submissions.submitFromTicket(input, log);
  switch (outcome.kind) {
    case 'accepted':
      return { code: 202, ack: { status: 'accepted', id: outcome.id } };
    case 'already_active':
      return { code: 200, ack: { status: 'already_active', id: outcome.id } };
    case 'linked':
      return { code: 200, ack: { status: 'linked', id: outcome.id } };
    case 'already_handled':
      return {
        code: 200,
        ack: {
          status: 'ignored',
          id: outcome.id,
          reason: `ticket ${input.ticket.key} already had request ${outcome.id} (${outcome.state}); a ticket starts at most one reset; to reset again, retry that request (POST /v1/resets/{id}/retry or the dashboard)`,
        },
      };
  }
}

export function webhookRoutes(deps: WebhookDeps) {
  const now = deps.now ?? Date.now;

  return (app: FastifyInstance): void => {
    // Signatures cover the exact bytes, so this context keeps the raw body and parses JSON itself, after verifying.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request: FastifyRequest, body: Buffer, done) => {
      request.rawBody = body;
      done(null, body);
    });

    const common = { tags: ['webhooks'], response: { 200: ackSchema, 202: ackSchema, 400: errorSchema, 401: errorSchema, 409: errorSchema, 413: errorSchema, 415: errorSchema, 422: errorSchema, 429: errorSchema, 500: errorSchema, 503: errorSchema } };

    app.post('/v1/webhooks/jira', {
      bodyLimit: deps.bodyLimit,
      schema: {
        ...common,
        summary: 'Jira Cloud webhook (issue created / updated)',
        description:
          'Verified with X-Hub-Signature (sha256 HMAC of the raw body). Deduplicated on X-Atlassian-Webhook-Identifier and on ' +
          'the SHA-256 of the raw body; a repeat of either is acknowledged with status "duplicate" and has no effect. Events ' +
          'older than the tolerance are refused.',
      },
    }, async (request: FastifyRequest, reply: FastifyReply) => {
      const { secret, toleranceSeconds, dedupeTtlSeconds, mapping } = deps.jira;
      if (secret === undefined) throw new HttpError(401, 'webhook_not_configured', 'The Jira webhook is not configured (JIRA_WEBHOOK_SECRET)');
      const raw = request.rawBody ?? Buffer.alloc(0);
      if (verifyJiraSignature(secret, raw, single(request.headers['x-hub-signature'])) === undefined) {
        throw new HttpError(401, 'invalid_signature', 'X-Hub-Signature is missing or does not match the body');
      }
      const parsed = jiraDeliverySchema.safeParse(parseJson(raw));
      if (!parsed.success) throw invalid(parsed.error.issues);
      const delivery = parsed.data as JiraDelivery;
      const ageSeconds = (now() - delivery.timestamp) / 1000;
      if (Math.abs(ageSeconds) > toleranceSeconds) {
        throw new HttpError(400, 'stale_delivery', `The event timestamp is outside the ${toleranceSeconds} s tolerance`);
      }
      // The identifier is not signed: a captured body sent again under a new one is caught by the body's own digest,
      // remembered at least until its signed timestamp leaves the tolerance (after that it is stale).
      const identifier = single(request.headers['x-atlassian-webhook-identifier']);
      const bodyId = `body:${bodyDigest(raw)}`;
      const deliveryId = identifier !== undefined && /^[\x21-\x7e]{1,128}$/.test(identifier) ? `id:${identifier}` : bodyId;
      const bodyTtlSeconds = Math.max(dedupeTtlSeconds, Math.ceil(delivery.timestamp / 1000 + toleranceSeconds - now() / 1000) + 1);
      const marks = [{ id: bodyId, ttlSeconds: bodyTtlSeconds }, ...(deliveryId === bodyId ? [] : [{ id: deliveryId, ttlSeconds: dedupeTtlSeconds }])];
      if (!(await deps.replays.firstSeenAll('jira', marks))) {
        request.log.info({ deliveryId, bodyId }, 'duplicate Jira delivery acknowledged without effect');
        return reply.code(200).send({ status: 'duplicate' } satisfies Ack);
      }
      const mapped = mapJiraDelivery(delivery, mapping);
      if (mapped.kind === 'ignored') {
        request.log.info({ deliveryId, ticket: delivery.issue?.key, reason: mapped.reason }, 'Jira delivery does not ask for a reset');
        return reply.code(200).send({ status: 'ignored', reason: mapped.reason } satisfies Ack);
      }
      try {
        const { code, ack } = await submitFromTicket(deps.submissions, { ...mapped, source: 'jira', submittedBy: 'webhook:jira' }, request.log);
        return await reply.code(code).send(ack);
      } catch (err) {
        // Let Jira's retry be processed.
        await deps.replays.forget('jira', ...marks.map((m) => m.id)).catch(() => undefined);
        throw err;
      }
    });

    app.post('/v1/webhooks/servicenow', {
      bodyLimit: deps.bodyLimit,
      schema: {
        ...common,
        summary: 'ServiceNow outbound REST (Business Rule)',
        description:
          'Signed with X-ResetPC-Signature: v1=<hex HMAC-SHA256 of "<X-ResetPC-Timestamp>.<raw body>">. The timestamp must be ' +
          'within the tolerance (300 s by default); a delivery seen before is refused with 409.',
      },
    }, async (request: FastifyRequest, reply: FastifyReply) => {
      const { secret, toleranceSeconds } = deps.servicenow;
      if (secret === undefined) throw new HttpError(401, 'webhook_not_configured', 'The ServiceNow webhook is not configured (SERVICENOW_WEBHOOK_SECRET)');
      const raw = request.rawBody ?? Buffer.alloc(0);
      const timestamp = single(request.headers['x-resetpc-timestamp']);
      const signature = single(request.headers['x-resetpc-signature']);
      const digits = timestamp === undefined || !/^\d{9,11}$/.test(timestamp) ? undefined : verifyServiceNowSignature(secret, timestamp, raw, signature);
      if (timestamp === undefined || digits === undefined) {
        throw new HttpError(401, 'invalid_signature', 'X-ResetPC-Signature or X-ResetPC-Timestamp is missing or does not match the body');
      }
      if (Math.abs(now() / 1000 - Number(timestamp)) > toleranceSeconds) {
        throw new HttpError(401, 'stale_delivery', `X-ResetPC-Timestamp is outside the ${toleranceSeconds} s tolerance`);
      }
      // The signature is unique to (timestamp, body): remember its digits (never the header, whose padding varies) for
      // longer than the tolerance window on both sides.
      const deliveryId = digits;
      if (!(await deps.replays.firstSeen('servicenow', deliveryId, toleranceSeconds * 2 + 60))) {
        throw new HttpError(409, 'replayed_delivery', 'This delivery was already received');
      }
      try {
        const parsed = serviceNowBody.safeParse(parseJson(raw));
        if (!parsed.success) throw invalid(parsed.error.issues);
        const body = parsed.data;
        if (!deps.servicenow.tables.includes(body.table)) {
          request.log.info({ ticket: body.number, table: body.table }, 'ServiceNow delivery from a table that is not configured');
          return await reply.code(200).send({ status: 'ignored', reason: `table ${body.table} is not configured (SERVICENOW_TABLES)` } satisfies Ack);
        }
        const ticket: TicketRef = { system: 'servicenow', key: body.number, table: body.table, sysId: body.sysId };
        const { code, ack } = await submitFromTicket(deps.submissions, {
          device: deviceRefFrom(body.device),
          requestedBy: body.requestedBy,
          ...(body.reason === undefined ? {} : { reason: body.reason }),
          ticket,
          source: 'servicenow',
          submittedBy: 'webhook:servicenow',
        }, request.log);
        return await reply.code(code).send(ack);
      } catch (err) {
        await deps.replays.forget('servicenow', deliveryId).catch(() => undefined);
        throw err;
      }
    });
  };
}
