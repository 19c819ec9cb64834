import { z } from 'zod';
import type { JobsOptions } from 'bullmq';

/**
 * The job catalog: every queue's job name, payload schema, attempts, backoff and retention, in one place.
 * Payloads carry ids and references only, never secrets or passcodes. A payload is checked when it is enqueued
 * and again by the processor that reads it.
 */

const uuid = z.uuid();

export const QUEUE_NAMES = { reset: 'reset', notify: 'notify' } as const;
export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];

export const NOTIFY_EVENTS = [
  'accepted',
  'linked_to_active_request',
  'awaiting_approval',
  'rejected',
  'expired',
  'ineligible',
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
] as const;

export const catalog = {
  reset: {
    queue: QUEUE_NAMES.reset,
    name: 'reset',
    payload: z.strictObject({ requestId: uuid }),
    options: {
      // The unforeseen only: waiting never uses an attempt, and transient Graph, ServiceNow and Jira errors are
      // counted per step by the processor (workers/reset/processor.ts). 1 s, 2 s, 4 s … with jitter.
      attempts: 12,
      backoff: { type: 'exponential', delay: 1_000, jitter: 0.5 },
      removeOnComplete: { age: 7 * 24 * 3600, count: 50_000 },
      removeOnFail: { age: 30 * 24 * 3600 },
    } satisfies JobsOptions,
  },
  notify: {
    queue: QUEUE_NAMES.notify,
    name: 'notify',
    payload: z.strictObject({
      requestId: uuid,
      event: z.enum(NOTIFY_EVENTS),
      channel: z.enum(['ticket', 'email']),
      /** For `linked_to_active_request`: the other ticket to tell (system and key only). */
      ticket: z.strictObject({ system: z.enum(['servicenow', 'jira']), key: z.string().max(64) }).optional(),
      /** The request's attempt (2 and up after an operator's retry), so a retried request announces its outcome again. */
      attempt: z.int().min(2).max(10_000).optional(),
    }),
    options: {
      // After the 10th failed attempt the notification is undeliverable (an operator can retry it). The `notify`
      // backoff is the notify worker's own strategy: exponential from NOTIFY_BACKOFF_BASE_MS, never sooner than a
      // Retry-After (workers/notify/processor.ts).
      attempts: 10,
      backoff: { type: 'notify', delay: 10_000 },
      removeOnComplete: { age: 7 * 24 * 3600, count: 50_000 },
      removeOnFail: { age: 30 * 24 * 3600 },
    } satisfies JobsOptions,
  },
} as const;

export type JobKind = keyof typeof catalog;
export type JobPayload<K extends JobKind> = z.infer<(typeof catalog)[K]['payload']>;

export class InvalidJobPayloadError extends Error {
  readonly code = 'invalid_job_payload';
  constructor(kind: string, issues: string) {
    super(`Invalid ${kind} job payload: ${issues}`);
    this.name = 'InvalidJobPayloadError';
  }
}

export function parsePayload<K extends JobKind>(kind: K, data: unknown): JobPayload<K> {
  const result = catalog[kind].payload.safeParse(data);
  if (!result.success) {
    throw new InvalidJobPayloadError(kind, result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  return result.data as JobPayload<K>;
}

/** The deterministic job id of a notification: one job per (request, event, channel[, ticket][, attempt ≥ 2]). */
export function notifyJobId(p: JobPayload<'notify'>): string {
  const suffix = p.ticket === undefined ? '' : `|${p.ticket.system}|${p.ticket.key}`;
  const attempt = p.attempt === undefined || p.attempt < 2 ? '' : `|a${String(p.attempt)}`;
  return `${p.requestId}|${p.event}|${p.channel}${suffix}${attempt}`;
}

/** `notifyJobId` read back: `<request>|<event>|<channel>[|<system>|<key>][|a<attempt>]`. */
const NOTIFY_JOB_ID = /^([0-9a-f-]{36})\|([a-z_]{1,40})\|(ticket|email)(?:\|(servicenow|jira)\|([^|]{1,64}))?(?:\|a(\d{1,5}))?$/;

/** The notification a job id names, checked against the payload schema; undefined when it names none. */
export function parseNotifyJobId(id: string): JobPayload<'notify'> | undefined {
  const [, requestId, event, channel, system, key, attempt] = NOTIFY_JOB_ID.exec(id) ?? [];
  const parsed = catalog.notify.payload.safeParse({
    requestId,
    event,
    channel,
    ...(system === undefined ? {} : { ticket: { system, key } }),
    ...(attempt === undefined ? {} : { attempt: Number(attempt) }),
  });
  return parsed.success && notifyJobId(parsed.data) === id ? parsed.data : undefined;
}
