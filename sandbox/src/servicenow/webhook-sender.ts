/**
 * Outbound webhooks exactly as the documented Business Rule sends them (docs/integrations/servicenow.md and
 * servicenow-business-rule.js): POST to the intake with `Content-Type: application/json`,
 * `X-ResetPC-Timestamp: <unix seconds>` and `X-ResetPC-Signature: v1=<lowercase hex HMAC-SHA256 of "<timestamp>.<body>">`,
 * the body `{event, table, sysId, number, device, requestedBy, reason?}` in that key order, non-ASCII escaped as \uXXXX.
 *
 * The HMAC is computed here with node:crypto, independently of the intake's verifier, so a test through this sender
 * checks the scheme end to end. The secret is used for the HMAC only: it is never recorded, logged or returned.
 */
import { createHmac } from 'node:crypto';
import { Agent, fetch } from 'undici';
import type { ServiceNowState, SnRecord, TableName } from './model';

export type WebhookDevice =
  | { readonly serialNumber: string }
  | { readonly deviceName: string }
  | { readonly id: string }
  | { readonly azureADDeviceId: string };

export interface WebhookTicket {
  readonly event?: 'created' | 'updated';
  readonly table: string;
  readonly sysId: string;
  readonly number: string;
  readonly device: WebhookDevice;
  readonly requestedBy: string;
  readonly reason?: string;
}

export interface WebhookTarget {
  /** The intake's `/v1/webhooks/servicenow` URL. */
  readonly intakeUrl: string;
  readonly secret: string;
  /** Default: now. Set it to send a stale delivery, or the same delivery twice. */
  readonly timestampSeconds?: number;
  /** Default 10 000 ms, the Business Rule's timeout. */
  readonly timeoutMs?: number;
}

export interface WebhookDelivery {
  readonly at: number;
  readonly url: string;
  /** The HTTP status, or 0 when nothing came back (connection refused, timeout). */
  readonly status: number;
  /** The parsed JSON answer (or its text when it is not JSON). */
  readonly body: unknown;
  readonly timestamp: string;
  /** The header value sent, `v1=<hex>`. */
  readonly signature: string;
  /** The exact bytes sent and signed. */
  readonly rawBody: string;
  /** When status is 0: what went wrong. */
  readonly error?: string;
}

/** JSON.stringify with every character from U+007F up escaped, as the Business Rule's asciiJson does. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The Business Rule's cleanText: control characters to spaces, whitespace collapsed, trimmed, at most 500 characters. */
export function cleanText(text: string): string {
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 500);
}

/** The body the Business Rule builds, keys in its order, `reason` left out when empty. */
export function webhookBody(ticket: WebhookTicket): string {
  const reason = ticket.reason === undefined ? '' : cleanText(ticket.reason);
  return asciiJson({
    event: ticket.event ?? 'created',
    table: ticket.table,
    sysId: ticket.sysId,
    number: ticket.number,
    device: ticket.device,
    requestedBy: ticket.requestedBy,
    ...(reason === '' ? {} : { reason }),
  });
}

export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

/** Builds the ticket the Business Rule would send from a sandbox record: requester email, device field, short description. */
export function webhookTicketFrom(
  state: ServiceNowState,
  table: TableName,
  record: SnRecord,
  options: { event?: 'created' | 'updated'; deviceSerial?: string } = {},
): WebhookTicket {
  const requester = state.tables.sys_user[record[table === 'incident' ? 'caller_id' : 'requested_for'] ?? ''];
  const email = (requester?.email ?? '').trim();
  const userName = (requester?.user_name ?? '').trim();
  const reason = record.short_description ?? '';
  return {
    event: options.event ?? 'created',
    table,
    sysId: record.sys_id,
    number: record.number ?? '',
    device: { serialNumber: (options.deviceSerial ?? record.u_device_serial ?? '').trim() },
    requestedBy: email !== '' ? email : userName.includes('@') ? userName : '',
    ...(reason === '' ? {} : { reason }),
  };
}

/** Sends one signed delivery to the intake and returns its answer. Every call is a new delivery (new timestamp). */
export async function sendIncidentWebhook(ticket: WebhookTicket, target: WebhookTarget): Promise<WebhookDelivery> {
  const rawBody = webhookBody(ticket);
  const timestamp = String(target.timestampSeconds ?? Math.floor(Date.now() / 1000));
  const signature = signWebhook(target.secret, timestamp, rawBody);
  const base = { at: Date.now(), url: target.intakeUrl, timestamp, signature, rawBody };
  const dispatcher = new Agent({ connections: 1 });
  try {
    const response = await fetch(target.intakeUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'x-resetpc-timestamp': timestamp,
        'x-resetpc-signature': signature,
      },
      body: rawBody,
      dispatcher,
      signal: AbortSignal.timeout(target.timeoutMs ?? 10_000),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      // not JSON: keep the text
    }
    return { ...base, status: response.status, body };
  } catch (e) {
    return { ...base, status: 0, body: undefined, error: e instanceof Error ? e.message : String(e) };
  } finally {
    await dispatcher.close();
  }
}
