/**
 * Whether Intune's Reset passcode can be sent to a device, and what it will do there (DOMAIN.md §1, issue 4).
 *
 * The rules are data: ELIGIBILITY_RULES has one row per platform (and per Android enrollment), found by
 * `platformRuleFor`. A row either refuses with a reason, or names the effect and what the device must also satisfy.
 * `evaluateEligibility` checks, in order: the row's refusal; the iOS switch; the checks every platform shares
 * (MDM-managed, managementState, last sync); the row's minimum OS version; the row's requirements.
 * Every refusal carries a reason code (reasons.ts, with its documentation link) and an exact message.
 */
import { androidEnrollment, type AndroidEnrollment, isAtLeast, isLegacyWindowsHandheld, isMdmManaged, isOneOf, isWindowsMobile, platformFamily } from './platform';
import type { IneligibleReason } from './reasons';

/** What the Graph gateway reads from the beta managedDevice ($select). Never the passcode. */
export interface DeviceFacts {
  readonly id: string;
  readonly deviceName: string;
  /** As Intune reports it: "Windows", "iOS", "iPadOS", "macOS", "Android" (some enrollments: "AndroidEnterprise", "AndroidForWork"). */
  readonly operatingSystem: string;
  readonly osVersion: string;
  /** Beta: windowsPhone, desktop, iPhone, iPad, macMDM, android, androidForWork, androidEnterprise, androidnGMS, ... */
  readonly deviceType?: string;
  /** Beta: azureADJoined, azureADRegistered, hybridAzureADJoined, unknown. */
  readonly joinType?: string;
  readonly deviceEnrollmentType?: string;
  /** mdm, easMdm, googleCloudDevicePolicyController, intuneAosp, configurationManagerClientMdm, eas, ... */
  readonly managementAgent?: string;
  /** managed, retirePending, wipePending, ... */
  readonly managementState?: string;
  /** company | personal | unknown (beta ownerType, or v1.0 managedDeviceOwnerType). */
  readonly ownerType?: string;
  readonly isSupervised?: boolean;
  readonly lastSyncDateTime?: string;
  readonly azureADDeviceId?: string;
  readonly serialNumber?: string;
  readonly userPrincipalName?: string;
}

/** Windows 10 Mobile prerequisites, from the gateway's cached tenant checks. */
export interface TenantFacts {
  readonly pinResetServicePrincipals: { readonly service: boolean; readonly client: boolean };
  /** not_found: no custom OMA-URI profile sets it, which is "could not verify" (the Settings Catalog may set it). */
  readonly pinRecoveryProfile: 'assigned' | 'unassigned' | 'not_found';
}

export interface EligibilityPolicy {
  readonly now: Date;
  readonly maxSyncAgeHours: number;
  /** iOS/iPadOS "Remove passcode": off by default, because it removes the passcode instead of resetting it. */
  readonly iosRemovePasscode: boolean;
}

export type PasscodeEffect = 'device_passcode_reset' | 'work_profile_passcode_reset' | 'passcode_removed';

export type Verdict =
  | { readonly eligible: true; readonly rule: string; readonly effect: PasscodeEffect; readonly notes: readonly string[] }
  | { readonly eligible: false; readonly rule: string; readonly reason: IneligibleReason; readonly message: string };

/** Checks a supported row adds to the shared ones, run in the order the row lists them. */
export type Requirement = 'azure_ad_joined' | 'pin_reset_apps' | 'pin_recovery_profile' | 'supervised_or_corporate';

interface RuleBase {
  /** Stable id, recorded with the verdict (timeline, dashboard). */
  readonly id: string;
  /** What a person calls the platform. */
  readonly platform: string;
  readonly matches: (device: DeviceFacts) => boolean;
}

export interface SupportedRule extends RuleBase {
  readonly kind: 'supported';
  readonly effect: PasscodeEffect;
  /** Set when the row is off unless the policy turns it on. */
  readonly enabledBy?: 'iosRemovePasscode';
  readonly minOsVersion?: { readonly version: string; readonly reason: 'os_too_old' | 'android_too_old' };
  readonly requirements: readonly Requirement[];
  /** Told to the approver and in the notifications whenever the row applies. */
  readonly notes: readonly string[];
}

export interface RefusedRule extends RuleBase {
  readonly kind: 'refused';
  readonly reason: IneligibleReason;
  readonly message: string;
}

export type PlatformRule = SupportedRule | RefusedRule;

const DEVICE_POLICY_NOTE = 'A device passcode policy must be assigned to the device, or the reset fails.';
const WORK_PROFILE_POLICY_NOTE = 'A work-profile passcode policy must be assigned to the device, or the reset fails. The user is then asked to activate the new work-profile passcode.';
const android = (device: DeviceFacts): boolean => platformFamily(device) === 'android';

/** Android Enterprise enrollments whose reset changes the work-profile passcode, on Android 8.0 and later. */
function workProfileRule(id: string, platform: string, enrollment: AndroidEnrollment): SupportedRule {
  return {
    id,
    platform,
    kind: 'supported',
    matches: (d) => android(d) && androidEnrollment(d) === enrollment,
    effect: 'work_profile_passcode_reset',
    minOsVersion: { version: '8.0', reason: 'android_too_old' },
    requirements: [],
    notes: [WORK_PROFILE_POLICY_NOTE],
  };
}

/** Windows 10 Mobile with the Creators Update: the product's founding rule (support for the OS itself ended in 2019). */
const WINDOWS_10_MOBILE: SupportedRule = {
  id: 'windows_10_mobile',
  platform: 'Windows 10 Mobile',
  kind: 'supported',
  matches: (d) => platformFamily(d) === 'windows' && isWindowsMobile(d),
  effect: 'device_passcode_reset',
  minOsVersion: { version: '10.0.15063', reason: 'os_too_old' },
  requirements: ['azure_ad_joined', 'pin_reset_apps', 'pin_recovery_profile'],
  notes: [],
};

const UNSUPPORTED: RefusedRule = {
  id: 'unsupported_platform',
  platform: 'other',
  kind: 'refused',
  matches: () => true,
  reason: 'unsupported_platform',
  message: 'Intune has no Reset passcode action for this platform.',
};

/** The table: the first row whose `matches` is true applies. The last row catches everything else. */
export const ELIGIBILITY_RULES: readonly PlatformRule[] = [
  WINDOWS_10_MOBILE,
  {
    id: 'windows_desktop',
    platform: 'Windows',
    kind: 'refused',
    matches: (d) => platformFamily(d) === 'windows' && !isWindowsMobile(d) && !isLegacyWindowsHandheld(d),
    reason: 'windows_desktop',
    message: 'Windows desktop has no Reset passcode action. The user resets their Windows Hello PIN at the sign-in screen ("I forgot my PIN").',
  },
  {
    id: 'android_enterprise_dedicated',
    platform: 'Android Enterprise dedicated (COSU)',
    kind: 'supported',
    matches: (d) => android(d) && androidEnrollment(d) === 'dedicated',
    effect: 'device_passcode_reset',
    requirements: [],
    notes: [DEVICE_POLICY_NOTE],
  },
  {
    id: 'android_aosp',
    platform: 'Android (AOSP)',
    kind: 'supported',
    matches: (d) => android(d) && androidEnrollment(d) === 'aosp',
    effect: 'device_passcode_reset',
    requirements: [],
    notes: [DEVICE_POLICY_NOTE],
  },
  workProfileRule('android_enterprise_fully_managed', 'Android Enterprise fully managed', 'fully_managed'),
  workProfileRule('android_enterprise_corporate_work_profile', 'Android Enterprise corporate-owned work profile', 'corporate_work_profile'),
  workProfileRule('android_enterprise_personal_work_profile', 'Android Enterprise personally-owned work profile', 'personal_work_profile'),
  {
    id: 'android_other_enrollment',
    platform: 'Android (device administrator or unknown enrollment)',
    kind: 'refused',
    matches: android,
    reason: 'android_enrollment_unsupported',
    message: 'Reset passcode supports only Android Enterprise (dedicated, fully managed, corporate-owned or personally-owned work profile) and AOSP enrollments; this device is enrolled some other way (for example, device administrator).',
  },
  {
    id: 'ios_ipados',
    platform: 'iOS/iPadOS',
    kind: 'supported',
    matches: (d) => platformFamily(d) === 'apple_mobile',
    effect: 'passcode_removed',
    enabledBy: 'iosRemovePasscode',
    requirements: ['supervised_or_corporate'],
    notes: [
      'On iOS/iPadOS the passcode is removed, not reset: no new passcode is generated, and the user sets one on the device.',
      'If the removal fails, a wipe may be the only way to regain access.',
    ],
  },
  {
    id: 'macos',
    platform: 'macOS',
    kind: 'refused',
    matches: (d) => platformFamily(d) === 'macos',
    reason: 'macos',
    message: 'macOS has no Reset passcode action. The user recovers the local account password (Apple ID, FileVault recovery key, or an administrator account on the Mac).',
  },
  UNSUPPORTED,
];

export function platformRuleFor(device: DeviceFacts): PlatformRule {
  return ELIGIBILITY_RULES.find((rule) => rule.matches(device)) ?? UNSUPPORTED;
}

/** True only for the Windows 10 Mobile rule: the only one with tenant prerequisites. */
export function needsTenantFacts(device: DeviceFacts): boolean {
  const rule = platformRuleFor(device);
  return rule.kind === 'supported' && rule.requirements.some((r) => r === 'pin_reset_apps' || r === 'pin_recovery_profile');
}

type Check = { readonly ok: true; readonly note?: string } | { readonly ok: false; readonly reason: IneligibleReason; readonly message: string };

const OK: Check = { ok: true };
const refuse = (reason: IneligibleReason, message: string): Check => ({ ok: false, reason, message });
const TENANT_NOT_CHECKED = refuse('tenant_not_checked', 'The Windows 10 Mobile tenant prerequisites (PIN Reset apps, EnablePinRecovery profile) were not checked, so no reset is sent.');

/** The Microsoft Pin Reset apps (DOMAIN.md §1). */
const PIN_RESET_APPS = { service: 'Microsoft Pin Reset Service (b8456c59-1230-44c7-a4a2-99b085333e84)', client: 'Microsoft Pin Reset Client (9115dd05-fad5-4f9c-acc7-305d08b1b04e)' } as const;

export const PIN_RECOVERY_NOT_VERIFIED_NOTE = 'Could not verify EnablePinRecovery: no custom OMA-URI profile sets it, but it may come from the Settings Catalog. If it is not set, the reset fails on the device.';

const REQUIREMENT_CHECKS: Readonly<Record<Requirement, (device: DeviceFacts, tenant: TenantFacts | undefined) => Check>> = {
  azure_ad_joined: (d) =>
    isOneOf(d.joinType, ['azureADJoined']) || isOneOf(d.deviceEnrollmentType, ['windowsAzureADJoin'])
      ? OK
      : refuse('not_azure_ad_joined', `The device is not joined to Microsoft Entra ID (Azure AD) (join type: ${d.joinType ?? 'not reported'}, enrollment: ${d.deviceEnrollmentType ?? 'not reported'}).`),
  pin_reset_apps: (_d, tenant) => {
    if (tenant === undefined) return TENANT_NOT_CHECKED;
    const missing = (['service', 'client'] as const).filter((app) => !tenant.pinResetServicePrincipals[app]).map((app) => PIN_RESET_APPS[app]);
    return missing.length === 0 ? OK : refuse('pin_reset_apps_missing', `An administrator has not consented to ${missing.join(' and ')} in this tenant.`);
  },
  // `unassigned` is a positive finding: the custom profile exists and targets no one, so the reset would fail.
  // `not_found` only means no custom OMA-URI profile was seen. The same setting can come from the Settings Catalog,
  // which the gateway does not read, so "absent" cannot be claimed (DOMAIN.md §2). The device stays eligible with a
  // note the approver sees: refusing would block tenants configured the current way, and a missing setting makes
  // the device report the action as failed (non-destructive, reported with its link), not a silent bad reset.
  pin_recovery_profile: (_d, tenant) => {
    if (tenant === undefined) return TENANT_NOT_CHECKED;
    if (tenant.pinRecoveryProfile === 'assigned') return OK;
    if (tenant.pinRecoveryProfile === 'not_found') return { ok: true, note: PIN_RECOVERY_NOT_VERIFIED_NOTE };
    return refuse('pin_recovery_profile_unassigned', 'The custom profile that sets EnablePinRecovery (PassportForWork CSP) exists but is not assigned to any users or devices.');
  },
  supervised_or_corporate: (d) =>
    d.isSupervised === true || isOneOf(d.ownerType, ['company'])
      ? OK
      : refuse('ios_not_supervised', `Remove passcode is allowed only on supervised or corporate-owned devices; this device is not supervised and its owner is ${d.ownerType ?? 'not reported'}.`),
};

const HOUR_MS = 60 * 60 * 1000;

function describeAge(ms: number): string {
  const hours = Math.floor(ms / HOUR_MS);
  return hours < 48 ? `${hours} hours` : `${Math.floor(hours / 24)} days`;
}

/** The checks every platform shares: enrolled in Intune MDM, managed (nothing pending), and synced recently. */
function checkManagement(device: DeviceFacts, policy: EligibilityPolicy): Check {
  if (!isMdmManaged(device.managementAgent)) {
    return refuse('not_mdm_managed', `The device is not managed by Intune MDM (management agent: ${device.managementAgent ?? 'not reported'}).`);
  }
  const state = device.managementState;
  if (isOneOf(state, ['retirePending', 'retireIssued'])) return refuse('retire_pending', 'A retire is pending on the device: it is leaving Intune management.');
  if (isOneOf(state, ['wipePending', 'wipeIssued'])) return refuse('wipe_pending', 'A wipe is pending on the device: it is about to be reset to factory settings.');
  if (!isOneOf(state, ['managed'])) return refuse('not_managed', `The device's management state is ${state ?? 'not reported'}, not managed.`);

  const synced = Date.parse(device.lastSyncDateTime ?? '');
  // Graph reports 0001-01-01T00:00:00Z for a device that never synced.
  if (Number.isNaN(synced) || synced <= 0) return refuse('stale_sync', 'The device has never synced with Intune.');
  const age = policy.now.getTime() - synced;
  if (age > policy.maxSyncAgeHours * HOUR_MS) {
    return refuse('stale_sync', `The device last synced with Intune ${describeAge(age)} ago (${device.lastSyncDateTime ?? ''}), more than the ${policy.maxSyncAgeHours}-hour limit. Ask the user to connect the device and sync it.`);
  }
  return OK;
}

function checkOsVersion(rule: SupportedRule, device: DeviceFacts): Check {
  if (rule.minOsVersion === undefined) return OK;
  const { version, reason } = rule.minOsVersion;
  const atLeast = isAtLeast(device.osVersion, version);
  if (atLeast === true) return OK;
  const what = atLeast === undefined ? `OS version "${device.osVersion}" cannot be read` : `OS version ${device.osVersion} is too old`;
  const needs = reason === 'os_too_old' ? `${version} (Creators Update) or later` : `Android ${version} or later`;
  return refuse(reason, `${rule.platform}: ${what}; Reset passcode needs ${needs}.`);
}

export function evaluateEligibility(device: DeviceFacts, tenant: TenantFacts | undefined, policy: EligibilityPolicy): Verdict {
  const rule = platformRuleFor(device);
  const no = (reason: IneligibleReason, message: string): Verdict => ({ eligible: false, rule: rule.id, reason, message });
  if (rule.kind === 'refused') return no(rule.reason, rule.message);
  if (rule.enabledBy === 'iosRemovePasscode' && !policy.iosRemovePasscode) {
    return no('ios_disabled', 'Remove passcode on iOS/iPadOS is turned off: it removes the passcode instead of resetting it. An administrator can turn it on.');
  }
  const notes = [...rule.notes];
  const checks: (() => Check)[] = [
    () => checkManagement(device, policy),
    () => checkOsVersion(rule, device),
    ...rule.requirements.map((requirement) => () => REQUIREMENT_CHECKS[requirement](device, tenant)),
  ];
  for (const check of checks) {
    const result = check();
    if (!result.ok) return no(result.reason, result.message);
    if (result.note !== undefined) notes.push(result.note);
  }
  return { eligible: true, rule: rule.id, effect: rule.effect, notes };
}
