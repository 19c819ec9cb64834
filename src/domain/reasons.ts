/**
 * Why a request did not end in a reset: one stable reason code per cause, and the Microsoft documentation page that
 * explains it (issue 5: "a table from reason to link, kept as data"). Notifications and the dashboard read this table;
 * the eligibility rules and the workflow write the codes.
 *
 * Links are locale-less learn.microsoft.com addresses (Learn redirects to the reader's language). Intune pages use
 * the current docs tree (MicrosoftDocs/memdocs `intune/device-management/actions/*`, canonical
 * learn.microsoft.com/<locale>/intune/device-management/actions/<page>).
 */

/** The reasons a request can end `ineligible`. */
export const INELIGIBLE_REASONS = [
  'windows_desktop',
  'macos',
  'ios_disabled',
  'ios_not_supervised',
  'os_too_old',
  'not_azure_ad_joined',
  'pin_reset_apps_missing',
  'pin_recovery_profile_unassigned',
  'pin_recovery_not_configured',
  'tenant_not_checked',
  'self_service',
  'self_service_needs_entra_join',
  'self_service_needs_newer_windows',
  'self_service_needs_pin_reset_apps',
  'self_service_needs_pin_recovery',
  'android_too_old',
  'android_enrollment_unsupported',
  'not_mdm_managed',
  'retire_pending',
  'wipe_pending',
  'not_managed',
  'stale_sync',
  'unsupported_platform',
  'device_not_found',
  'device_ambiguous',
  'device_has_active_request',
] as const;

export type IneligibleReason = (typeof INELIGIBLE_REASONS)[number];

/** A permanent Graph refusal, by its code in src/graph/errors.ts; `graph_bad_request` stands for any other refusal. */
export const GRAPH_REFUSALS = ['graph_forbidden', 'graph_not_found', 'graph_unauthorized', 'graph_bad_request'] as const;

/** A permanent ServiceNow or Jira refusal, reasoned `<system>_<refusal>`; `rejected` stands for any other refusal. */
export const TICKETING_REFUSALS = ['unauthorized', 'forbidden', 'not_found', 'rejected', 'invalid_response', 'not_configured'] as const;

const ticketingRefusals = <S extends 'servicenow' | 'jira'>(system: S) => TICKETING_REFUSALS.map((refusal) => `${system}_${refusal}` as const);

/** Every reason a request can end in something other than success: ineligible, failed, rejected, expired, ... */
export const FAILURE_REASONS = [
  ...INELIGIBLE_REASONS,
  'action_failed',
  'action_not_supported',
  'action_canceled',
  'timed_out',
  ...GRAPH_REFUSALS,
  'rejected',
  'expired',
  'self_approval',
  'approver_not_allowed',
  'ticket_mismatch',
  'cancelled',
  // A remote system or the product itself failed the request: `<system>_<code>` for what a retry cannot fix.
  ...ticketingRefusals('servicenow'),
  ...ticketingRefusals('jira'),
  'graph_unavailable',
  'ticketing_unavailable',
  'internal_error',
] as const;

export type FailureReason = (typeof FAILURE_REASONS)[number];

const LEARN = 'https://learn.microsoft.com';
const INTUNE_ACTIONS = `${LEARN}/intune/device-management/actions`;

/** The documentation pages the table points to, by what they explain. */
export const DOCS = {
  resetPasscode: `${INTUNE_ACTIONS}/reset-passcode`,
  removePasscode: `${INTUNE_ACTIONS}/remove-passcode`,
  sync: `${INTUNE_ACTIONS}/sync`,
  retire: `${INTUNE_ACTIONS}/retire`,
  wipe: `${INTUNE_ACTIONS}/wipe`,
  windowsHelloPinReset: `${LEARN}/windows/security/identity-protection/hello-for-business/pin-reset`,
  windowsHelloPinResetSteps: `${LEARN}/windows/security/identity-protection/hello-for-business/pin-reset#user-experience`,
  windowsHelloPinResetApps: `${LEARN}/windows/security/identity-protection/hello-for-business/pin-reset#enable-the-microsoft-pin-reset-service-in-your-microsoft-entra-tenant`,
  windowsHelloPinRecovery: `${LEARN}/windows/security/identity-protection/hello-for-business/pin-reset#enable-pin-recovery-on-the-clients`,
  entraJoin: `${LEARN}/entra/identity/devices/concept-directory-join`,
  iosSupervisedMode: `${LEARN}/intune/device-enrollment/apple/enable-supervised-mode`,
  androidEnrollment: `${LEARN}/intune/device-enrollment/android/guide`,
  enrollment: `${LEARN}/intune/device-enrollment/`,
  multiAdminApproval: `${LEARN}/intune/fundamentals/role-based-access-control/multi-admin-approval`,
  // Pages a help-desk agent acts on in the Intune admin center (MicrosoftDocs/memdocs intune/device-management/overview.md,
  // "Find your managed devices"; inventory-and-status/device-details.md, "Hardware device details": Intune Device ID).
  findDevices: `${LEARN}/intune/device-management/overview#find-your-managed-devices`,
  deviceIds: `${LEARN}/intune/device-management/inventory-and-status/device-details#hardware-device-details`,
  graphResetPasscode: `${LEARN}/graph/api/intune-devices-manageddevice-resetpasscode`,
  graphActionResult: `${LEARN}/graph/api/resources/intune-devices-deviceactionresult`,
  graphPermissions: `${LEARN}/graph/permissions-reference`,
  graphErrors: `${LEARN}/graph/errors`,
  /** Getting access without a user: the app registration's credential and the tenant's admin consent (Graph's 401). */
  graphAppOnlyAccess: `${LEARN}/graph/auth-v2-service`,
  /** ServiceNow's Table API reference: "The calling user must have sufficient roles to access the data in the table". */
  servicenowTableApi: 'https://www.servicenow.com/docs/r/api-reference/rest-apis/c_TableAPI.html',
  /** Atlassian: authenticating to Jira Cloud's REST APIs with an account email and API token. */
  jiraBasicAuth: 'https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/',
  /** Jira Service Management's REST API (approvals and request comments need an agent). */
  jiraServiceDeskApi: 'https://developer.atlassian.com/cloud/jira/service-desk/rest/intro/',
} as const;

/** Reason → the page a reader should open. Every reason has one (the type makes a missing row a compile error). */
export const REASON_LINKS: Readonly<Record<FailureReason, string>> = {
  // Windows desktop users reset their own Windows Hello PIN ("I forgot my PIN"). Requests stored before the
  // self-service outcomes (self_service*) carry this code; new Windows desktop requests end with one of those.
  windows_desktop: DOCS.windowsHelloPinReset,
  // The reset passcode page lists the supported platforms; macOS is not among them (local account recovery instead).
  macos: DOCS.resetPasscode,
  ios_disabled: DOCS.removePasscode,
  ios_not_supervised: DOCS.iosSupervisedMode,
  // Windows 10 Mobile prerequisites: the PIN reset page covers the Pin Reset apps' consent and EnablePinRecovery.
  os_too_old: DOCS.windowsHelloPinReset,
  not_azure_ad_joined: DOCS.entraJoin,
  pin_reset_apps_missing: DOCS.windowsHelloPinReset,
  pin_recovery_profile_unassigned: DOCS.windowsHelloPinRecovery,
  pin_recovery_not_configured: DOCS.windowsHelloPinRecovery,
  tenant_not_checked: DOCS.windowsHelloPinReset,
  // Windows desktops: the user resets their own Windows Hello PIN at the sign-in screen (self-service), or an
  // administrator must first fix the prerequisite the reason names.
  self_service: DOCS.windowsHelloPinResetSteps,
  self_service_needs_entra_join: DOCS.entraJoin,
  self_service_needs_newer_windows: DOCS.windowsHelloPinReset,
  self_service_needs_pin_reset_apps: DOCS.windowsHelloPinResetApps,
  self_service_needs_pin_recovery: DOCS.windowsHelloPinRecovery,
  android_too_old: DOCS.resetPasscode,
  android_enrollment_unsupported: DOCS.androidEnrollment,
  not_mdm_managed: DOCS.enrollment,
  retire_pending: DOCS.retire,
  wipe_pending: DOCS.wipe,
  not_managed: DOCS.enrollment,
  stale_sync: DOCS.sync,
  unsupported_platform: DOCS.resetPasscode,
  // No device, or several, carry the identifier asked for: find the device in Devices > All devices, read its Intune
  // device id (or serial number) on its page, and ask again with it. The reason lists the candidates.
  device_not_found: DOCS.findDevices,
  device_ambiguous: DOCS.deviceIds,
  device_has_active_request: DOCS.resetPasscode,
  action_failed: DOCS.resetPasscode,
  action_not_supported: DOCS.resetPasscode,
  action_canceled: DOCS.graphActionResult,
  timed_out: DOCS.sync,
  graph_forbidden: DOCS.graphPermissions,
  graph_not_found: DOCS.graphErrors,
  // Graph refused the access token (401), or Entra ID would not issue one: the app's credential, its tenant, or consent.
  graph_unauthorized: DOCS.graphAppOnlyAccess,
  // Graph refused the request itself (400, 405, 409, ...): nothing a retry changes; the error page explains the codes.
  graph_bad_request: DOCS.graphErrors,
  rejected: DOCS.multiAdminApproval,
  expired: DOCS.multiAdminApproval,
  self_approval: DOCS.multiAdminApproval,
  approver_not_allowed: DOCS.multiAdminApproval,
  // The ticket no longer names this device or requester (or cannot be read): its approval does not cover the request.
  ticket_mismatch: DOCS.multiAdminApproval,
  servicenow_unauthorized: DOCS.servicenowTableApi,
  servicenow_forbidden: DOCS.servicenowTableApi,
  servicenow_not_found: DOCS.servicenowTableApi,
  servicenow_rejected: DOCS.servicenowTableApi,
  servicenow_invalid_response: DOCS.servicenowTableApi,
  servicenow_not_configured: DOCS.servicenowTableApi,
  jira_unauthorized: DOCS.jiraBasicAuth,
  jira_forbidden: DOCS.jiraServiceDeskApi,
  jira_not_found: DOCS.jiraServiceDeskApi,
  jira_rejected: DOCS.jiraServiceDeskApi,
  jira_invalid_response: DOCS.jiraServiceDeskApi,
  jira_not_configured: DOCS.jiraBasicAuth,
  graph_unavailable: DOCS.graphErrors,
  ticketing_unavailable: DOCS.servicenowTableApi,
  internal_error: DOCS.resetPasscode,
  cancelled: DOCS.resetPasscode,
};

export function reasonLink(reason: FailureReason): string {
  return REASON_LINKS[reason];
}

/** True for the Windows desktop self-service outcomes: no reset was made, and none is sent; the user resets the PIN. */
export function isSelfServiceReason(reason: string): boolean {
  return reason === 'self_service' || reason.startsWith('self_service_needs_');
}

/** True for a known reason code (reason codes arrive as plain strings from stored workflow data). */
export function isFailureReason(value: string): value is FailureReason {
  return (FAILURE_REASONS as readonly string[]).includes(value);
}

/**
 * The Intune admin center's device page (DOMAIN.md §2: widely used, not documented, may change: keep it
 * configurable). `{id}` stands for the managed device id.
 */
export const ADMIN_CENTER_DEVICE_URL = 'https://intune.microsoft.com/#view/Microsoft_Intune_Devices/DeviceSettingsMenuBlade/~/overview/mdmDeviceId/{id}';

/** True when a configured template has the `{id}` placeholder (for config validation). */
export function isDeviceLinkTemplate(template: string): boolean {
  return template.startsWith('https://') && template.includes('{id}');
}

/** The template with every `{id}` replaced by the URL-encoded device id. */
export function adminCenterDeviceLink(template: string, deviceId: string): string {
  return template.replaceAll('{id}', encodeURIComponent(deviceId));
}
