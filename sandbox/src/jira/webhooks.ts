/**
 * Jira Cloud's webhook sender (developer.atlassian.com/cloud/jira/platform/webhooks): `jira:issue_created` and
 * `jira:issue_updated` deliveries with the whole issue, signed `X-Hub-Signature: sha256=<hex HMAC of the raw body>`
 * when the webhook has a secret, and `X-Atlassian-Webhook-Identifier`, the same on every retry of one delivery.
 * `X-Atlassian-Webhook-Flow` says which delivery lane carried it: `Primary` for the event itself (within about 30 s),
 * `Secondary` for the fallout of bulk or cascading changes (allowed about 15 minutes; jira.js `WebhookHeaders`, from a
 * capture of a real site).
 * Like Jira, it retries on 408, 409, 425, 429, 5xx, timeouts and network errors, with a bounded number of attempts;
 * any other answer ends the delivery. The backoff is an option, so tests retry in milliseconds.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';

export type JiraIssueEvent = 'jira:issue_created' | 'jira:issue_updated';

export interface JiraWebhookChange {
  readonly field: string;
  readonly fieldId?: string;
  readonly from: string | null;
  readonly to: string | null;
}

export interface WebhookSendOptions {
  /** The full URL of the receiving endpoint, e.g. http://127.0.0.1:3000/v1/webhooks/jira. */
  readonly intakeUrl: string;
  /** The webhook's secret; without one, Jira sends no X-Hub-Signature. */
  readonly secret?: string;
  /** Attempts in all, the first included; default 6 (the first and 5 retries). */
  readonly maxAttempts?: number;
  /** The wait before retry n (1-based): a number, or a function of n; default 30 s doubling, at most 10 min. */
  readonly backoffMs?: number | ((retry: number) => number);
  /** Per attempt; default 10 s. A timeout counts as a failed attempt and is retried. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** The delivery lane (`X-Atlassian-Webhook-Flow`); default Primary. */
  readonly flow?: 'Primary' | 'Secondary';
}

/** One delivery: its bytes are the same on every attempt. */
export interface WebhookDelivery {
  readonly identifier: string;
  readonly event: JiraIssueEvent;
  readonly issueKey: string;
  readonly rawBody: string;
}

export interface WebhookAttempt {
  /** The X-Atlassian-Webhook-Retry value: 0 for the first attempt. */
  readonly retry: number;
  readonly at: number;
  readonly status?: number;
  /** The network error or timeout, when no answer came. */
  readonly error?: string;
  /** The answer's body (at most 1 KiB). */
  readonly responseBody?: string;
}

export interface WebhookResult {
  readonly delivery: WebhookDelivery;
  readonly attempts: readonly WebhookAttempt[];
  /** The status of the last answer, if any attempt got one. */
  readonly finalStatus: number | undefined;
  /** True when the last attempt was answered 2xx. */
  readonly delivered: boolean;
}

const RETRIED = new Set([408, 409, 425, 429]);

/** Whether Jira retries after this answer (undefined: no answer at all). */
export function jiraRetries(status: number | undefined): boolean {
  return status === undefined || RETRIED.has(status) || status >= 500;
}

/** The body of a delivery in Atlassian's documented shape. */
export function issueEventBody(input: {
  readonly event: JiraIssueEvent;
  readonly timestamp: number;
  readonly issue: unknown;
  readonly user: unknown;
  readonly changes?: readonly JiraWebhookChange[];
}): Record<string, unknown> {
  const body: Record<string, unknown> = {
    timestamp: input.timestamp,
    webhookEvent: input.event,
    issue_event_type_name: input.event === 'jira:issue_created' ? 'issue_created' : 'issue_generic',
    user: input.user,
    issue: input.issue,
  };
  if (input.event === 'jira:issue_updated') {
    body.changelog = {
      id: String(input.timestamp % 1_000_000),
      items: (input.changes ?? []).map((c) => ({ field: c.field, fieldtype: c.fieldId?.startsWith('customfield_') === true ? 'custom' : 'jira', fieldId: c.fieldId ?? c.field, from: null, fromString: c.from, to: null, toString: c.to })),
    };
  }
  return body;
}

export function newDelivery(event: JiraIssueEvent, issueKey: string, body: unknown): WebhookDelivery {
  return { identifier: randomUUID(), event, issueKey, rawBody: JSON.stringify(body) };
}

function backoff(option: WebhookSendOptions['backoffMs'], retry: number): number {
  if (typeof option === 'number') return option;
  if (typeof option === 'function') return option(retry);
  return Math.min(600_000, 30_000 * 2 ** (retry - 1));
}

/** The error's system code, or "timeout". Duck-typed: fetch's errors may come from another realm. */
function describe(err: unknown): string {
  if (typeof err !== 'object' || err === null) return 'unknown error';
  const e = err as { name?: unknown; message?: unknown; cause?: { code?: unknown; errors?: { code?: unknown }[] } };
  if (e.name === 'TimeoutError') return 'timeout';
  const code = e.cause?.code ?? e.cause?.errors?.[0]?.code;
  if (typeof code === 'string') return code;
  return typeof e.message === 'string' ? e.message : 'unknown error';
}

async function attempt(delivery: WebhookDelivery, options: WebhookSendOptions, retry: number): Promise<WebhookAttempt> {
  const at = Date.now();
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'user-agent': 'Atlassian Webhook HTTP Client',
    'x-atlassian-webhook-identifier': delivery.identifier,
    'x-atlassian-webhook-retry': String(retry),
    'x-atlassian-webhook-flow': options.flow ?? 'Primary',
  };
  if (options.secret !== undefined) headers['x-hub-signature'] = `sha256=${createHmac('sha256', options.secret).update(delivery.rawBody).digest('hex')}`;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
  try {
    const response = await fetch(options.intakeUrl, { method: 'POST', headers, body: delivery.rawBody, signal });
    const text = await response.text();
    return { retry, at, status: response.status, responseBody: text.slice(0, 1024) };
  } catch (err) {
    if (options.signal?.aborted === true) throw err;
    return { retry, at, error: describe(err) };
  }
}

/** Sends `delivery`, retrying like Jira. `firstRetry` continues the retry count of an earlier send of the same delivery. */
export async function deliverWebhook(delivery: WebhookDelivery, options: WebhookSendOptions, firstRetry = 0): Promise<WebhookResult> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 6);
  const attempts: WebhookAttempt[] = [];
  for (let n = 0; n < maxAttempts; n += 1) {
    const retry = firstRetry + n;
    if (n > 0) await delay(backoff(options.backoffMs, retry), undefined, options.signal === undefined ? {} : { signal: options.signal });
    const result = await attempt(delivery, options, retry);
    attempts.push(result);
    if (!jiraRetries(result.status)) break;
  }
  const last = attempts.at(-1);
  const finalStatus = [...attempts].reverse().find((a) => a.status !== undefined)?.status;
  return { delivery, attempts, finalStatus, delivered: last?.status !== undefined && last.status >= 200 && last.status < 300 };
}
