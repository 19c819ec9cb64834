import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SERVICENOW_NUMBER, SERVICENOW_SYS_ID, SERVICENOW_TABLE } from '../../domain/identifiers';
import { HttpError } from '../../http/errors';
import { deviceRefFrom, deviceSchema, email, errorSchema, reasonSchema } from '../../http/schemas';
import type { WebhookAck, WebhookAnswer, WebhookDeliveries } from '../../app/webhook-deliveries';
import type { JiraDelivery } from '../../domain/jira-mapping';
import { bodyDigest, verifyJiraSignature, verifyServiceNowSignature } from '../webhooks/signature';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: Buffer;
  }
}

/**
 * The webhook edge: it authenticates a delivery (its signature over the raw body, with the configured secret) and
 * parses it, then hands it to the use case (src/app/webhook-deliveries.ts), which checks its timestamp's tolerance,
 * acts on it once and starts the ticket's request.
 */
export interface WebhookDeps {
  readonly deliveries: WebhookDeliveries;
  /** Ticketing systems send whole issues: the webhook routes take larger bodies than the API. */
  readonly bodyLimit: number;
  readonly secrets: { readonly jira?: string; readonly servicenow?: string };
}

const ackSchema = z.object({
  status: z.enum(['accepted', 'linked', 'already_active', 'ignored', 'duplicate']),
  id: z.uuid().optional(),
  reason: z.string().optional(),
});
const answered = (reply: FastifyReply, answer: WebhookAnswer): FastifyReply => reply.code(answer.created ? 202 : 200).send(answer.ack satisfies WebhookAck);

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

export function webhookRoutes(deps: WebhookDeps) {
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
      const secret = deps.secrets.jira;
      if (secret === undefined) throw new HttpError(401, 'webhook_not_configured', 'The Jira webhook is not configured (JIRA_WEBHOOK_SECRET)');
      const raw = request.rawBody ?? Buffer.alloc(0);
      if (verifyJiraSignature(secret, raw, single(request.headers['x-hub-signature'])) === undefined) {
        throw new HttpError(401, 'invalid_signature', 'X-Hub-Signature is missing or does not match the body');
      }
      const parsed = jiraDeliverySchema.safeParse(parseJson(raw));
      if (!parsed.success) throw invalid(parsed.error.issues);
      const delivery = parsed.data as JiraDelivery;
      const identifier = single(request.headers['x-atlassian-webhook-identifier']);
      return answered(reply, await deps.deliveries.fromJira({ delivery, identifier, bodyDigest: bodyDigest(raw) }, request.log));
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
      const secret = deps.secrets.servicenow;
      if (secret === undefined) throw new HttpError(401, 'webhook_not_configured', 'The ServiceNow webhook is not configured (SERVICENOW_WEBHOOK_SECRET)');
      const raw = request.rawBody ?? Buffer.alloc(0);
      const timestamp = single(request.headers['x-resetpc-timestamp']);
      const signature = single(request.headers['x-resetpc-signature']);
      const digits = timestamp === undefined || !/^\d{9,11}$/.test(timestamp) ? undefined : verifyServiceNowSignature(secret, timestamp, raw, signature);
      if (timestamp === undefined || digits === undefined) {
        throw new HttpError(401, 'invalid_signature', 'X-ResetPC-Signature or X-ResetPC-Timestamp is missing or does not match the body');
      }
      // ServiceNow's signature covers its timestamp: one outside the tolerance does not authenticate the delivery.
      const signed = deps.deliveries.servicenowTimestamp(Number(timestamp));
      if (signed.stale) throw new HttpError(401, 'stale_delivery', `X-ResetPC-Timestamp is outside the ${String(signed.toleranceSeconds)} s tolerance`);
      const parsed = serviceNowBody.safeParse(parseJson(raw));
      if (!parsed.success) throw invalid(parsed.error.issues);
      const { table, number, sysId, device, requestedBy, reason } = parsed.data;
      const input = { signatureDigits: digits, table, number, sysId, device: deviceRefFrom(device), requestedBy, ...(reason === undefined ? {} : { reason }) };
      return answered(reply, await deps.deliveries.fromServiceNow(input, request.log));
    });
  };
}
