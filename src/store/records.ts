import { z } from 'zod';
import { DEVICE_KINDS, REQUEST_STATES, TICKET_SYSTEMS, TIMELINE_EVENTS, type ResetRequest, type TicketRef, type TimelineEntry } from '../domain/request';
import type { WorkflowData } from '../domain/workflow';
import { storedFormat } from './stored';

/**
 * The stored formats of a request: its record (the `json` field of the request hash: the request without state,
 * updatedAt and linked tickets, which have their own fields and list), its workflow data, its timeline entries (the
 * timeline list and the audit stream) and its linked tickets. All are version 1: the shapes stored before records
 * carried a version.
 */

const text = z.string();
const state = z.enum(REQUEST_STATES);

const ticket = z.object({ system: z.enum(TICKET_SYSTEMS), key: text, table: text.exactOptional(), sysId: text.exactOptional() });

export type StoredCore = Omit<ResetRequest, 'state' | 'updatedAt' | 'linkedTickets'>;

export const requestFormat = storedFormat<StoredCore>(
  'request',
  z.object({
    id: text,
    device: z.object({ kind: z.enum(DEVICE_KINDS), value: text }),
    requestedBy: text,
    requesterAccount: z.object({ accountId: text, displayName: text.exactOptional() }).exactOptional(),
    reason: text.exactOptional(),
    ticket: ticket.exactOptional(),
    source: z.enum(['api', 'jira', 'servicenow']),
    submittedBy: text,
    createdAt: text,
  }),
);

export const linkedTicketFormat = storedFormat<TicketRef>('linked ticket', ticket);

export const timelineFormat = storedFormat<TimelineEntry>(
  'timeline entry',
  z.object({
    at: text,
    from: state.nullable(),
    to: state,
    actor: text,
    reason: text,
    details: z.record(z.string(), z.unknown()).exactOptional(),
    event: z.enum(TIMELINE_EVENTS).exactOptional(),
  }),
);

const count = z.number().int().nonnegative();

export const workflowFormat = storedFormat<WorkflowData>(
  'workflow',
  z.object({
    managedDeviceId: text.exactOptional(),
    deviceName: text.exactOptional(),
    operatingSystem: text.exactOptional(),
    osVersion: text.exactOptional(),
    effect: text.exactOptional(),
    eligibilityNotes: z.array(text).exactOptional(),
    eligibleAt: text.exactOptional(),
    candidates: z.array(z.object({ id: text, deviceName: text, operatingSystem: text, lastSyncDateTime: text.exactOptional() })).exactOptional(),
    approvalChecks: count.exactOptional(),
    approvalDeadline: text.exactOptional(),
    approver: text.exactOptional(),
    apiApproval: z.object({ by: text, at: text }).exactOptional(),
    submittedAt: text.exactOptional(),
    submitAttempts: count.exactOptional(),
    baselineActionStart: text.exactOptional(),
    lastSubmitAttemptAt: text.exactOptional(),
    pollChecks: count.exactOptional(),
    actionState: text.exactOptional(),
    actionErrorCode: z.number().exactOptional(),
    outcomeReason: text.exactOptional(),
    dryRun: z.boolean().exactOptional(),
    held: z.enum(['paused', 'blast_radius']).exactOptional(),
    attempt: count.exactOptional(),
    transientFailures: count.exactOptional(),
  }),
);
