import { z } from 'zod';
import { DEVICE_NAME, GUID, JIRA_ISSUE_KEY, PLAIN_TEXT, SERIAL_NUMBER, SERVICENOW_NUMBER, SERVICENOW_SYS_ID } from '../domain/identifiers';
import { DEVICE_KINDS, REQUEST_STATES, TIMELINE_EVENTS, timelineEventOf, type DeviceRef, type TimelineEntry } from '../domain/request';

export const errorSchema = z
  .object({
    error: z.object({
      code: z
        .string()
        .describe(
          'A stable, machine-readable code. Besides each route\'s own: validation_failed (400), unauthorized (401), forbidden (403), not_found (404), ' +
            'rate_limited (429), unavailable (503, with Retry-After: Redis did not answer; the message says whether anything may have been stored, and a ' +
            'retry with the same Idempotency-Key is always safe), internal (500), and stored_data_invalid (500: a record in ' +
            'Redis that this version of the product cannot read, typically during a rolling upgrade; retry once every process runs the same version)',
        ),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .describe('Every error has this shape');

export const guid = z.string().regex(GUID, { error: 'must be a GUID' });
export const email = z.email({ error: 'must be an email address or UPN' }).max(254);

export const deviceSchema = z
  .strictObject({
    id: guid.describe('Intune managed device id').optional(),
    azureADDeviceId: guid.describe('Entra ID (Azure AD) device id').optional(),
    serialNumber: z.string().regex(SERIAL_NUMBER, { error: 'letters, digits, . _ -; 1–64 characters' }).optional(),
    deviceName: z.string().regex(DEVICE_NAME, { error: 'letters, digits, spaces, apostrophes, . _ ( ) -; 1–64 characters' }).optional(),
  })
  .refine((d) => Object.values(d).filter((v) => v !== undefined).length === 1, {
    error: 'give exactly one of id, azureADDeviceId, serialNumber, deviceName',
  })
  .describe('Exactly one device identifier');

/** The one identifier a validated device object holds, as a DeviceRef. */
export function deviceRefFrom(device: z.infer<typeof deviceSchema>): DeviceRef {
  const kind = DEVICE_KINDS.find((k) => device[k] !== undefined);
  if (kind === undefined) throw new Error('deviceSchema guarantees exactly one identifier');
  return { kind, value: device[kind] ?? '' };
}

export const ticketSchema = z
  .strictObject({
    system: z.enum(['servicenow', 'jira']),
    key: z.string().max(32).describe('Jira issue key (HD-42) or ServiceNow number (INC0010001)'),
  })
  .refine((t) => (t.system === 'jira' ? JIRA_ISSUE_KEY.test(t.key) : SERVICENOW_NUMBER.test(t.key) || SERVICENOW_SYS_ID.test(t.key)), {
    error: 'key is not a valid ticket key for that system',
    path: ['key'],
  });

export const reasonSchema = z
  .string()
  .min(1)
  .max(500)
  .regex(PLAIN_TEXT, { error: 'no control characters, bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) or line separators (U+2028, U+2029)' });

/** A request id in a URL: a UUID in any case, read as the lowercase one it is stored under. */
export const requestIdSchema = z
  .uuid({ error: 'must be a request id (UUID)' })
  .transform((id) => id.toLowerCase())
  .describe('The request id (a UUID; any case)');

/** The params of every route under /v1/resets/{id} and /ops/requests/{id}. */
export const requestIdParams = z.strictObject({ id: requestIdSchema });

export const stateSchema = z.enum(REQUEST_STATES);

const timelineMoveSchema = z
  .object({
    at: z.string(),
    from: stateSchema.nullable().describe('null on the first entry'),
    to: stateSchema,
    actor: z.string(),
    reason: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .describe('A move: the request went from one state to another');

const timelineEventSchema = z
  .object({
    at: z.string(),
    event: z
      .enum(TIMELINE_EVENTS)
      .describe('approval_recorded: an approval given through the API or the dashboard (the worker then moves the request to approved); note: anything else that left the state as it was (a notification written, a submission held)'),
    state: stateSchema.describe('The state the request was in, and stayed in'),
    actor: z.string(),
    reason: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .describe('An event: something happened to the request that did not move it (no from or to)');

/** A timeline entry: a move (`from`, `to`) or an event (`event`, `state`). */
export const timelineEntrySchema = z.union([timelineMoveSchema, timelineEventSchema]);

/** A stored timeline entry as the API shows it: an event has no `from` and `to`, as it moved nothing. */
export function apiTimelineEntry(entry: TimelineEntry): z.infer<typeof timelineEntrySchema> {
  const { at, actor, reason } = entry;
  const details = entry.details === undefined ? {} : { details: { ...entry.details } };
  const event = timelineEventOf(entry);
  return event === undefined ? { at, from: entry.from, to: entry.to, actor, reason, ...details } : { at, event, state: entry.to, actor, reason, ...details };
}

const ticketRefSchema = z.object({
  system: z.enum(['servicenow', 'jira']),
  key: z.string(),
  table: z.string().optional(),
  sysId: z.string().optional(),
});

/** What the workflow found and did: the resolved device, the verdict, the approval, the action, the outcome. */
export const progressSchema = z.object({
  managedDeviceId: z.string().optional(),
  deviceName: z.string().optional(),
  operatingSystem: z.string().optional(),
  osVersion: z.string().optional(),
  effect: z.string().optional().describe('device_passcode_reset, work_profile_passcode_reset or passcode_removed'),
  eligibilityNotes: z.array(z.string()).optional(),
  candidates: z.array(z.object({ id: z.string(), deviceName: z.string(), operatingSystem: z.string(), lastSyncDateTime: z.string().optional() })).optional(),
  approvalDeadline: z.string().optional(),
  approver: z.string().optional(),
  submittedAt: z.string().optional(),
  actionState: z.string().optional(),
  actionErrorCode: z.number().int().optional().describe('The errorCode of an unsuccessful resetPasscode action; the timeline says what it means and what to do next'),
  outcomeReason: z.string().optional(),
  held: z.enum(['paused', 'blast_radius']).optional(),
  attempt: z.number().optional(),
  dryRun: z.boolean().optional(),
});

export const requestSchema = z.object({
  id: z.uuid(),
  state: stateSchema,
  device: z.object({ kind: z.enum(['id', 'azureADDeviceId', 'serialNumber', 'deviceName']), value: z.string() }),
  requestedBy: z.string().describe('An email or UPN, or atlassian:<accountId> for a Jira reporter whose email Jira hides'),
  requesterAccount: z.object({ accountId: z.string(), displayName: z.string().optional() }).optional().describe('A Jira ticket\'s reporter: approvals are checked against this account'),
  reason: z.string().optional(),
  ticket: ticketRefSchema.optional(),
  linkedTickets: z.array(ticketRefSchema),
  source: z.enum(['api', 'jira', 'servicenow']),
  submittedBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  links: z.object({ self: z.string() }),
});
