import { isFailureReason, type FailureReason } from '../../domain/reasons';
import { isFinal, type TimelineEntry } from '../../domain/request';
import type { StoredRequest } from '../../store/requests';

/**
 * A request's outcome in words, for the requests list's Reason column and the request page: the reason code
 * (src/domain/reasons.ts) as a short phrase, and the reason of the timeline entry that ended the request.
 */

/** Every failure reason as a short phrase (the type makes a missing one a compile error). */
const FAILURE_WORDS: Readonly<Record<FailureReason, string>> = {
  windows_desktop: 'Windows desktop: the user resets the PIN',
  macos: 'macOS: no passcode reset',
  ios_disabled: 'Remove passcode is turned off',
  ios_not_supervised: 'iOS/iPadOS device not supervised',
  os_too_old: 'Windows version too old',
  not_azure_ad_joined: 'Not joined to Entra ID',
  pin_reset_apps_missing: 'PIN reset apps not consented to',
  pin_recovery_profile_unassigned: 'PIN recovery policy not assigned',
  pin_recovery_not_configured: 'PIN recovery not configured',
  tenant_not_checked: 'Tenant prerequisites not verified',
  self_service: 'Self-service: the user resets the PIN',
  self_service_needs_entra_join: 'Self-service needs an Entra ID join',
  self_service_needs_newer_windows: 'Self-service needs a newer Windows',
  self_service_needs_pin_reset_apps: 'Self-service needs the PIN reset apps',
  self_service_needs_pin_recovery: 'Self-service needs PIN recovery',
  android_too_old: 'Android version too old',
  android_enrollment_unsupported: 'Android enrollment type not supported',
  not_mdm_managed: 'Not managed by Intune MDM',
  retire_pending: 'A retire is pending',
  wipe_pending: 'A wipe is pending',
  not_managed: 'Device not in a managed state',
  stale_sync: 'Device has not synced recently',
  unsupported_platform: 'Platform not supported',
  device_not_found: 'Device not found in Intune',
  device_ambiguous: 'Several devices match',
  device_has_active_request: 'Device already has an active request',
  action_failed: 'Intune reported the reset failed',
  action_not_supported: 'Reset not supported on the device',
  action_canceled: 'Reset canceled in Intune',
  timed_out: 'Device did not report back in time',
  graph_forbidden: 'Graph permission missing',
  graph_not_found: 'Device gone from Graph',
  graph_unauthorized: 'Graph refused the product\'s credentials',
  graph_bad_request: 'Graph refused the request',
  rejected: 'Approval declined',
  expired: 'Not approved before the deadline',
  self_approval: 'Self-approval refused',
  approver_not_allowed: 'Approver not allowed',
  ticket_mismatch: 'Ticket does not match the request',
  servicenow_unauthorized: 'ServiceNow refused the product\'s credentials',
  servicenow_forbidden: 'ServiceNow denied the product\'s account',
  servicenow_not_found: 'ServiceNow has no such ticket',
  servicenow_rejected: 'ServiceNow refused the request',
  servicenow_invalid_response: 'ServiceNow did not answer as its API does',
  servicenow_not_configured: 'ServiceNow is not configured',
  jira_unauthorized: 'Jira refused the product\'s credentials',
  jira_forbidden: 'Jira denied the product\'s account',
  jira_not_found: 'Jira has no such issue, or hides it',
  jira_rejected: 'Jira refused the request',
  jira_invalid_response: 'Jira did not answer as its API does',
  jira_not_configured: 'Jira is not configured',
  graph_unavailable: 'Microsoft Graph kept failing',
  ticketing_unavailable: 'The ticketing system kept failing',
  internal_error: 'An unexpected error in the product',
  cancelled: 'Cancelled',
};

/** Outcome codes that are not failures (or not in the failure table). */
const OTHER_WORDS: Readonly<Record<string, string>> = {
  done: 'Reset done',
  dry_run: 'Dry run: nothing sent',
};

/** A reason code in words; an unknown code is shown as itself, readably. */
export function reasonWords(code: string): string {
  return isFailureReason(code) ? FAILURE_WORDS[code] : (OTHER_WORDS[code] ?? code.replaceAll('_', ' '));
}

/** The entry that moved the request into its current final state (not a later note). */
export function endingEntry(stored: Pick<StoredRequest, 'request' | 'timeline'>): TimelineEntry | undefined {
  const { request, timeline } = stored;
  if (!isFinal(request.state)) return undefined;
  return [...timeline].reverse().find((t) => t.to === request.state && t.from !== t.to);
}

export interface OutcomeSummary {
  readonly code?: string | undefined;
  readonly words?: string | undefined;
  /** The ending entry's reason, shortened to `DETAIL_CHARS`. */
  readonly detail?: string | undefined;
  /** The ending entry's reason, whole (for a tooltip) when `detail` is shortened. */
  readonly full?: string | undefined;
}

const DETAIL_CHARS = 90;

export function shorten(text: string, max = DETAIL_CHARS): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,.;:]+$/, '')}…`;
}

/** Why a finished request ended as it did; empty for a request that is not finished. */
export function outcomeSummary(stored: StoredRequest): OutcomeSummary {
  if (!isFinal(stored.request.state)) return {};
  const code = stored.workflow.outcomeReason;
  const reason = endingEntry(stored)?.reason.trim();
  const detail = reason === undefined || reason === '' ? undefined : shorten(reason);
  return { code, words: code === undefined ? undefined : reasonWords(code), detail, full: detail === reason ? undefined : reason };
}
