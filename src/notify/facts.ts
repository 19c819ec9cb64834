/**
 * The facts a notification tells, the same on every channel: outcome, device (name, platform, id), ticket, requester,
 * approver and times; on success where and until when the passcode can be read; on a failure the exact reason and
 * the failure-detail links. Pure: built from the stored request only (never from job data beyond ids), never holding
 * a passcode or a secret (the product never reads one).
 */
import { candidateLabel } from '../domain/device-match';
import { describeEffect } from '../domain/effects';
import { requesterLabel, type ResetRequest, type TicketRef, type TimelineEntry } from '../domain/request';
import { adminCenterDeviceLink, isFailureReason, isSelfServiceReason, reasonLink } from '../domain/reasons';
import type { WorkflowData } from '../domain/workflow';
import type { LinkSettings, NotifyEvent } from './settings';

/** How long the Intune admin center shows a new passcode (DOMAIN.md §1). */
export const PASSCODE_VISIBLE_DAYS = 7;
const DAY_MS = 86_400_000;

export type OutcomeKind = 'success' | 'failure' | 'progress';

/** Every value is text (empty when unknown), so templates can show or hide it; flags are booleans. */
export interface NotificationFacts {
  readonly requestId: string;
  readonly event: NotifyEvent;
  readonly kind: OutcomeKind;
  /** A final outcome: the ticket's state may change. */
  readonly final: boolean;
  readonly outcome: string;
  readonly headline: string;
  /** What the reset does on this device (device passcode, work-profile passcode), told before approval and on success. */
  readonly effect: string;
  readonly deviceName: string;
  readonly platform: string;
  readonly deviceId: string;
  /** "Jira HD-42", "ServiceNow INC0010001", or '' for an API request. */
  readonly ticket: string;
  readonly ticketKey: string;
  readonly requester: string;
  readonly approver: string;
  readonly requestedAt: string;
  readonly outcomeAt: string;
  /** On success (not iOS, not a dry run): the exact date until which the admin center shows the passcode. */
  readonly passcodeVisibleUntil: string;
  /** iOS/iPadOS: the passcode was removed, no new one was made. */
  readonly removed: boolean;
  readonly dryRun: boolean;
  /** On a failure: the exact reason (the workflow's words) and its code. */
  readonly reason: string;
  readonly reasonCode: string;
  readonly adminCenterUrl: string;
  readonly dashboardUrl: string;
  readonly docsUrl: string;
  readonly approvalDeadline: string;
  /** On `ineligible`: the candidates the reason does not already name, one "name (platform, id)" per entry. */
  readonly candidates: readonly string[];
  /** linked_to_active_request: the ticket that asked again. */
  readonly linkedTicket: string;
}

export interface FactsInput {
  readonly request: ResetRequest;
  readonly timeline: readonly TimelineEntry[];
  readonly workflow: WorkflowData;
  readonly event: NotifyEvent;
  /** linked_to_active_request: the other ticket (from the job's payload: a system and a key, never free text). */
  readonly linkedTicket?: Pick<TicketRef, 'system' | 'key'>;
}

const OUTCOME: Readonly<Record<NotifyEvent, string>> = {
  accepted: 'Accepted',
  linked_to_active_request: 'Linked to an active request',
  awaiting_approval: 'Waiting for approval',
  rejected: 'Rejected',
  expired: 'Expired',
  ineligible: 'Not eligible',
  succeeded: 'Passcode reset',
  failed: 'Failed',
  timed_out: 'Timed out',
  cancelled: 'Cancelled',
};

const HEADLINE: Readonly<Record<NotifyEvent, string>> = {
  accepted: 'The passcode reset request was accepted; the device is being checked.',
  linked_to_active_request: 'Another ticket asked for the same device while this request is active. No second reset will be made; follow this request instead.',
  awaiting_approval: 'The device qualifies for a passcode reset. The reset waits for approval.',
  rejected: 'The passcode reset request was rejected. No reset was made.',
  expired: 'Nobody approved the passcode reset before the deadline. No reset was made.',
  ineligible: 'The device does not qualify for a passcode reset. No reset was made.',
  succeeded: 'The passcode of the device was reset.',
  failed: 'The passcode reset failed.',
  timed_out: 'The device did not report the outcome of the passcode reset before the deadline. The reset may still take effect: check the device in the admin center before retrying.',
  cancelled: 'The passcode reset request was cancelled.',
};

/**
 * Windows desktops end `ineligible` with a self-service reason (src/domain/windows-self-service.ts): no reset was
 * sent, and the reason says what the user does at the sign-in screen, or what an administrator must fix first.
 */
const SELF_SERVICE = {
  ready: {
    outcome: 'Self-service PIN reset',
    headline: 'No passcode reset was sent, and none is needed: the user resets their own Windows Hello PIN at the Windows sign-in screen ("I forgot my PIN"). The reason below gives the steps.',
  },
  blocked: {
    outcome: 'Self-service PIN reset after an administrator acts',
    headline: 'No passcode reset was sent: Windows has none. The user resets their own Windows Hello PIN at the sign-in screen ("I forgot my PIN") once an administrator has fixed what the reason below names.',
  },
} as const;

const KIND: Readonly<Record<NotifyEvent, OutcomeKind>> = {
  accepted: 'progress',
  linked_to_active_request: 'progress',
  awaiting_approval: 'progress',
  rejected: 'failure',
  expired: 'failure',
  ineligible: 'failure',
  succeeded: 'success',
  failed: 'failure',
  timed_out: 'failure',
  cancelled: 'failure',
};

/** `2026-03-02 09:00 UTC`: unambiguous for every reader, whatever their time zone. */
export function formatTime(iso: string | undefined): string {
  if (iso === undefined) return '';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '';
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const SYSTEM_NAME = { jira: 'Jira', servicenow: 'ServiceNow' } as const;

export function ticketLabel(ticket: Pick<TicketRef, 'system' | 'key'> | undefined): string {
  return ticket === undefined ? '' : `${SYSTEM_NAME[ticket.system]} ${ticket.key}`;
}

/** The dashboard page of a request. */
export function dashboardLink(baseUrl: string, requestId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/ops/requests/${encodeURIComponent(requestId)}`;
}

export function buildFacts(input: FactsInput, links: LinkSettings): NotificationFacts {
  const { request, workflow, event } = input;
  const kind = KIND[event];
  const removed = workflow.effect === 'passcode_removed';
  const dryRun = workflow.dryRun === true || workflow.outcomeReason === 'dry_run';
  // The entry that moved the request into the event's state: its time and its words are the outcome's.
  const entry = [...input.timeline].reverse().find((t) => t.to === event && t.from !== t.to);
  const outcomeAt = entry?.at ?? request.updatedAt;
  const reasonCode = kind === 'failure' ? (workflow.outcomeReason ?? '') : '';
  const visibleUntil = kind === 'success' && !removed && !dryRun ? new Date(Date.parse(outcomeAt) + PASSCODE_VISIBLE_DAYS * DAY_MS).toISOString() : undefined;
  const platform = [workflow.operatingSystem, workflow.osVersion].filter((p) => p !== undefined && p !== '').join(' ');
  const approver = workflow.apiApproval?.by ?? workflow.approver ?? '';
  const selfService = event === 'ineligible' && isSelfServiceReason(workflow.outcomeReason ?? '') ? SELF_SERVICE[workflow.outcomeReason === 'self_service' ? 'ready' : 'blocked'] : undefined;
  const tellEffect = event === 'awaiting_approval' || (event === 'succeeded' && !removed && !dryRun);
  return {
    requestId: request.id,
    event,
    kind,
    final: kind !== 'progress',
    outcome: selfService?.outcome ?? (event === 'succeeded' && removed ? 'Passcode removed' : OUTCOME[event]),
    headline: selfService?.headline ?? (event === 'succeeded' && removed ? 'The passcode of the device was removed. No new passcode was made: the user sets a new one on the device.' : HEADLINE[event]),
    effect: tellEffect ? (describeEffect(workflow.effect) ?? '') : '',
    deviceName: workflow.deviceName ?? request.device.value,
    platform,
    deviceId: workflow.managedDeviceId ?? '',
    ticket: ticketLabel(request.ticket),
    ticketKey: request.ticket?.key ?? '',
    requester: requesterLabel(request),
    approver: approver === 'policy:not-required' ? 'not required by policy' : approver,
    requestedAt: formatTime(request.createdAt),
    outcomeAt: kind === 'progress' ? '' : formatTime(outcomeAt),
    passcodeVisibleUntil: formatTime(visibleUntil),
    removed: kind === 'success' && removed,
    dryRun: kind === 'success' && dryRun,
    reason: kind === 'failure' ? (entry?.reason ?? '') : '',
    reasonCode,
    adminCenterUrl: workflow.managedDeviceId === undefined ? '' : adminCenterDeviceLink(links.adminCenterDeviceUrl, workflow.managedDeviceId),
    dashboardUrl: dashboardLink(links.dashboardBaseUrl, request.id),
    docsUrl: reasonCode !== '' && isFailureReason(reasonCode) ? reasonLink(reasonCode) : '',
    approvalDeadline: event === 'awaiting_approval' ? formatTime(workflow.approvalDeadline) : '',
    // The reason names the candidates itself since device_not_found and device_ambiguous list them: not twice.
    candidates: event === 'ineligible' ? (workflow.candidates ?? []).map(candidateLabel).filter((label) => !(entry?.reason ?? '').includes(label)) : [],
    linkedTicket: ticketLabel(input.linkedTicket),
  };
}
