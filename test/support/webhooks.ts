import type { FastifyInstance } from 'fastify';
import { createHmac, randomUUID } from 'node:crypto';

/** A Jira Cloud `jira:issue_created` delivery in Atlassian's documented shape. */
export function jiraIssueCreated(opts: { key: string; serial?: string | undefined; reporter?: string; timestamp?: number; event?: string; project?: string; issueType?: string }) {
  const project = opts.project ?? opts.key.split('-')[0] ?? 'HD';
  return {
    timestamp: opts.timestamp ?? Date.now(),
    webhookEvent: opts.event ?? 'jira:issue_created',
    issue_event_type_name: 'issue_created',
    user: {
      self: 'https://contoso.atlassian.net/rest/api/2/user?accountId=5b10a2844c20165700ede21g',
      accountId: '5b10a2844c20165700ede21g',
      displayName: 'Anna Lee',
      active: true,
      timeZone: 'Europe/Berlin',
      accountType: 'atlassian',
    },
    issue: {
      id: '10002',
      self: 'https://contoso.atlassian.net/rest/api/2/10002',
      key: opts.key,
      fields: {
        summary: 'My phone is locked, please reset my passcode',
        issuetype: { id: '10004', name: opts.issueType ?? 'Service Request', subtask: false },
        project: { id: '10000', key: project, name: 'Help Desk', projectTypeKey: 'service_desk' },
        reporter: { accountId: '5b10a2844c20165700ede21g', displayName: 'Anna Lee', ...(opts.reporter === undefined ? { emailAddress: 'anna@contoso.com' } : { emailAddress: opts.reporter }) },
        created: '2026-11-25T10:00:00.000+0000',
        customfield_10010: { requestType: { id: '12', name: 'Reset device passcode' } },
        ...(opts.serial === undefined ? {} : { customfield_10050: opts.serial }),
      },
    },
  };
}

/** Headers exactly as Jira Cloud sends them for a webhook with a secret. */
export function jiraHeaders(secret: string, rawBody: string, identifier: string = randomUUID()): Record<string, string> {
  return {
    'content-type': 'application/json; charset=utf-8',
    'user-agent': 'Atlassian Webhook HTTP Client',
    'x-atlassian-webhook-identifier': identifier,
    'x-atlassian-webhook-retry': '0',
    'x-hub-signature': `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`,
  };
}

/** Headers as the documented ServiceNow Business Rule sends them. */
export function serviceNowHeaders(secret: string, rawBody: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-resetpc-timestamp': String(timestamp),
    'x-resetpc-signature': `v1=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`,
  };
}

export function serviceNowDelivery(opts: { number: string; serial: string; sysId?: string; requestedBy?: string }) {
  return {
    event: 'created',
    table: 'incident',
    sysId: opts.sysId ?? randomUUID().replaceAll('-', ''),
    number: opts.number,
    device: { serialNumber: opts.serial },
    requestedBy: opts.requestedBy ?? 'anna@contoso.com',
    reason: 'Caller locked out of her phone',
  };
}

/**
 * A request from a ticket, as real tickets start them: a signed delivery to the intake's webhook (no API caller can
 * attach a ticket it did not read back). Jira keys go to the Jira webhook, ServiceNow numbers to the ServiceNow one.
 * Returns the new request's id.
 */
export async function submitFromTicket(
  app: Pick<FastifyInstance, 'inject'>,
  secrets: { readonly jira: string; readonly servicenow: string },
  ticket: { readonly system: 'jira' | 'servicenow'; readonly key: string },
  serial: string,
  requestedBy = 'anna@contoso.com',
): Promise<string> {
  const jira = ticket.system === 'jira';
  const payload = JSON.stringify(jira ? jiraIssueCreated({ key: ticket.key, serial, reporter: requestedBy }) : serviceNowDelivery({ number: ticket.key, serial, requestedBy }));
  const headers = jira ? jiraHeaders(secrets.jira, payload) : serviceNowHeaders(secrets.servicenow, payload);
  const res = await app.inject({ method: 'POST', url: `/v1/webhooks/${ticket.system}`, headers, payload });
  if (res.statusCode !== 202) throw new Error(`the ${ticket.system} webhook answered ${String(res.statusCode)}: ${res.body}`);
  return res.json<{ id: string }>().id;
}
