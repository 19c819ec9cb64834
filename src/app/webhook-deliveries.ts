import type { DeviceRef, TicketRef } from '../domain/request';
import { mapJiraDelivery, type JiraDelivery, type JiraMapping } from '../domain/jira-mapping';
import type { Log } from '../logging/logger';
import { AppError } from './errors';
import type { ReplayRecords } from './ports';
import type { NewRequest, SubmissionService } from './submissions';

/** What a webhook delivery is answered: `created` only when it started a request (202 at the edge; else 200). */
export interface WebhookAnswer {
  readonly created: boolean;
  readonly ack: WebhookAck;
}

export interface WebhookAck {
  readonly status: 'accepted' | 'linked' | 'already_active' | 'ignored' | 'duplicate';
  readonly id?: string;
  readonly reason?: string;
}

/** A Jira delivery whose signature the edge has verified, parsed. */
export interface JiraWebhookDelivery {
  readonly delivery: JiraDelivery;
  /** `X-Atlassian-Webhook-Identifier`, as sent (it is not signed). */
  readonly identifier: string | undefined;
  /** SHA-256 of the raw body: the mark a captured body sent again under a new identifier is caught by. */
  readonly bodyDigest: string;
}

/** A ServiceNow delivery whose signature and signed timestamp the edge has verified, parsed. */
export interface ServiceNowWebhookDelivery {
  /** The signature's digits: unique to (timestamp, body), so the delivery's id for replays. */
  readonly signatureDigits: string;
  readonly table: string;
  readonly number: string;
  readonly sysId: string;
  readonly device: DeviceRef;
  readonly requestedBy: string;
  readonly reason?: string;
}

export interface WebhookSettings {
  readonly jira: { readonly toleranceSeconds: number; readonly dedupeTtlSeconds: number; readonly mapping: JiraMapping };
  /** `tables`: SERVICENOW_TABLES; a delivery from another table is acknowledged `ignored` and starts nothing. */
  readonly servicenow: { readonly toleranceSeconds: number; readonly tables: readonly string[] };
}

const IDENTIFIER = /^[\x21-\x7e]{1,128}$/;

/**
 * Webhook deliveries from Jira and ServiceNow, once the edge has verified their signatures and parsed them: the
 * tolerance of both timestamps (ServiceNow's, part of its signature scheme, is asked by the edge before it parses), the
 * replay protocol (each delivery is acted on once; a failure gives its marks back so that the sender's retry is
 * processed), the scope (Jira's mapping, ServiceNow's tables) and the request the ticket starts (ADR 004, ADR 011).
 */
export function createWebhookDeliveries(deps: { readonly submissions: SubmissionService; readonly replays: ReplayRecords; readonly settings: WebhookSettings; readonly now?: () => number }) {
  const now = deps.now ?? Date.now;
  const { submissions, replays, settings } = deps;

  return {
    /**
     * ServiceNow signs its delivery's timestamp (seconds) with the body: outside the tolerance, the signature does not
     * authenticate the delivery. The edge asks before it reads the body.
     */
    servicenowTimestamp(timestampSeconds: number): { readonly stale: boolean; readonly toleranceSeconds: number } {
      const { toleranceSeconds } = settings.servicenow;
      return { stale: Math.abs(now() / 1000 - timestampSeconds) > toleranceSeconds, toleranceSeconds };
    },

    async fromJira(input: JiraWebhookDelivery, log: Log): Promise<WebhookAnswer> {
      const { toleranceSeconds, dedupeTtlSeconds, mapping } = settings.jira;
      const { delivery } = input;
      if (Math.abs((now() - delivery.timestamp) / 1000) > toleranceSeconds) {
        throw new AppError('invalid', 'stale_delivery', `The event timestamp is outside the ${String(toleranceSeconds)} s tolerance`);
      }
      // The identifier is not signed: a captured body sent again under a new one is caught by the body's own digest,
      // remembered at least until its signed timestamp leaves the tolerance (after that it is stale).
      const bodyId = `body:${input.bodyDigest}`;
      const deliveryId = input.identifier !== undefined && IDENTIFIER.test(input.identifier) ? `id:${input.identifier}` : bodyId;
      const bodyTtlSeconds = Math.max(dedupeTtlSeconds, Math.ceil(delivery.timestamp / 1000 + toleranceSeconds - now() / 1000) + 1);
      const marks = [{ id: bodyId, ttlSeconds: bodyTtlSeconds }, ...(deliveryId === bodyId ? [] : [{ id: deliveryId, ttlSeconds: dedupeTtlSeconds }])];
      if (!(await replays.firstSeenAll('jira', marks))) {
        log.info({ deliveryId, bodyId }, 'duplicate Jira delivery acknowledged without effect');
        return { created: false, ack: { status: 'duplicate' } };
      }
      const mapped = mapJiraDelivery(delivery, mapping);
      if (mapped.kind === 'ignored') {
        log.info({ deliveryId, ticket: delivery.issue?.key, reason: mapped.reason }, 'Jira delivery does not ask for a reset');
        return { created: false, ack: { status: 'ignored', reason: mapped.reason } };
      }
      try {
        return await fromTicket(submissions, { ...mapped, source: 'jira', submittedBy: 'webhook:jira' }, log);
      } catch (err) {
        // Let Jira's retry be processed.
        await replays.forget('jira', ...marks.map((m) => m.id)).catch(() => undefined);
        throw err;
      }
    },

    async fromServiceNow(input: ServiceNowWebhookDelivery, log: Log): Promise<WebhookAnswer> {
      const { toleranceSeconds, tables } = settings.servicenow;
      // Its signed timestamp is within the tolerance (servicenowTimestamp, asked by the edge with the signature):
      // remembered for longer than the tolerance window on both sides, a replay is refused for as long as it could be
      // accepted.
      const deliveryId = input.signatureDigits;
      if (!(await replays.firstSeen('servicenow', deliveryId, toleranceSeconds * 2 + 60))) {
        throw new AppError('conflict', 'replayed_delivery', 'This delivery was already received');
      }
      try {
        if (!tables.includes(input.table)) {
          log.info({ ticket: input.number, table: input.table }, 'ServiceNow delivery from a table that is not configured');
          return { created: false, ack: { status: 'ignored', reason: `table ${input.table} is not configured (SERVICENOW_TABLES)` } };
        }
        const ticket: TicketRef = { system: 'servicenow', key: input.number, table: input.table, sysId: input.sysId };
        return await fromTicket(submissions, {
          device: input.device,
          requestedBy: input.requestedBy,
          ...(input.reason === undefined ? {} : { reason: input.reason }),
          ticket,
          source: 'servicenow',
          submittedBy: 'webhook:servicenow',
        }, log);
      } catch (err) {
        await replays.forget('servicenow', deliveryId).catch(() => undefined);
        throw err;
      }
    },
  };
}

export type WebhookDeliveries = ReturnType<typeof createWebhookDeliveries>;

/** The answer for each outcome of a ticket's submission: `created` only when a request was. */
async function fromTicket(submissions: SubmissionService, input: NewRequest & { ticket: TicketRef }, log: Log): Promise<WebhookAnswer> {
  const outcome = await submissions.submitFromTicket(input, log);
  switch (outcome.kind) {
    case 'accepted':
      return { created: true, ack: { status: 'accepted', id: outcome.id } };
    case 'already_active':
      return { created: false, ack: { status: 'already_active', id: outcome.id } };
    case 'linked':
      return { created: false, ack: { status: 'linked', id: outcome.id } };
    case 'already_handled':
      return {
        created: false,
        ack: {
          status: 'ignored',
          id: outcome.id,
          reason: `ticket ${input.ticket.key} already had request ${outcome.id} (${outcome.state}); a ticket starts at most one reset; to reset again, retry that request (POST /v1/resets/{id}/retry or the dashboard)`,
        },
      };
  }
}
