/**
 * Whether Intune's Reset passcode can be sent to a device, and what it will do there (DOMAIN.md §1, issue 4 and
 * issue 11 §3; Learn, "Reset or remove a device passcode").
 *
 * The rules are data: ELIGIBILITY_RULES has one row per platform (and per Android enrollment), found by
 * `platformRuleFor`. A row refuses with a reason, sends the user to self-service (Windows desktops:
 * windows-self-service.ts), or names the effect and what the device must also satisfy.
 * `evaluateEligibility` checks, in order: the row's refusal or self-service verdict; the iOS switch; the checks every
 * platform shares (MDM-managed, managementState, last sync); the row's minimum OS version; the row's requirements.
 * Every refusal carries a reason code (reasons.ts, with its documentation link) and an exact message.
 */
import { androidEnrollment, type AndroidEnrollment, isAtLeast, isLegacyWindowsHandheld, isMdmManaged, isOneOf, isWindowsMobile, platformFamily } from './platform';
import type { IneligibleReason } from './reasons';
import type { PasscodeEffect } from './effects';
import { describeNotVerified, describeSources, pinRecoveryStatus, pinResetAppsWith, type PinRecoveryFacts, type TenantFacts } from './tenant-facts';
import { windowsSelfService } from './windows-self-service';

export { EFFECT_DESCRIPTIONS, describeEffect, type PasscodeEffect } from './effects';
export type { TenantFacts } from './tenant-facts';

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

export interface EligibilityPolicy {
  readonly now: Date;
  readonly maxSyncAgeHours: number;
  /** iOS/iPadOS "Remove passcode": off by default, because it removes the passcode instead of resetting it. */
  readonly iosRemovePasscode: boolean;
}


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

/** No remote reset: the user resets it themselves; the verdict says how, or what an administrator must fix first. */
export interface SelfServiceRule extends RuleBase {
  readonly kind: 'self_service';
}

export type PlatformRule = SupportedRule | RefusedRule | SelfServiceRule;

const DEVICE_POLICY_NOTE = 'A device passcode policy must be assigned to the device, or the reset fails.';
const WORK_PROFILE_POLICY_NOTE = 'A work-profile passcode policy must be assigned to the device, or the reset fails. The user is then asked to activate the new work-profile passcode.';
const FULLY_MANAGED_NOTE = 'Android Enterprise fully managed (Device Owner): the reset changes the device passcode, not a work-profile passcode.';
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
    // No remote reset: Windows Hello for Business PIN reset at the sign-in screen (windows-self-service.ts).
    id: 'windows_desktop',
    platform: 'Windows',
    kind: 'self_service',
    matches: (d) => platformFamily(d) === 'windows' && !isWindowsMobile(d) && !isLegacyWindowsHandheld(d),
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
  {
    // Device Owner: a device-level reset (Learn, "Reset or remove a device passcode": "Android Enterprise devices
    // enrolled as Device Owner"). Android 8.0 is kept as the minimum: the Device Owner's token-based reset came with
    // it, and Intune's fully managed enrollment needs it anyway (docs/sandbox.md lists this as uncertain).
    id: 'android_enterprise_fully_managed',
    platform: 'Android Enterprise fully managed',
    kind: 'supported',
    matches: (d) => android(d) && androidEnrollment(d) === 'fully_managed',
    effect: 'device_passcode_reset',
    minOsVersion: { version: '8.0', reason: 'android_too_old' },
    requirements: [],
    notes: [FULLY_MANAGED_NOTE, DEVICE_POLICY_NOTE],
  },
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

/**
 * True for the rows that read the Windows Hello PIN reset prerequisites: Windows desktops (self-service) and the
 * retired Windows 10 Mobile. The tenant checks run only when such a device is met.
 */
export function needsTenantFacts(device: DeviceFacts): boolean {
  const rule = platformRuleFor(device);
  if (rule.kind === 'self_service') return true;
  return rule.kind === 'supported' && rule.requirements.some((r) => r === 'pin_reset_apps' || r === 'pin_recovery_profile');
}

type Check = { readonly ok: true; readonly note?: string } | { readonly ok: false; readonly reason: IneligibleReason; readonly message: string };

const OK: Check = { ok: true };
const refuse = (reason: IneligibleReason, message: string): Check => ({ ok: false, reason, message });
const TENANT_NOT_CHECKED = refuse('tenant_not_checked', 'The Windows 10 Mobile tenant prerequisites (PIN Reset apps, EnablePinRecovery profile) were not checked, so no reset is sent.');

/** The note an eligible Windows 10 Mobile device carries when a place PIN recovery can be set in could not be read. */
export function pinRecoveryNotVerifiedNote(facts: PinRecoveryFacts): string {
  return `Could not verify EnablePinRecovery: no assigned policy sets it in what could be read, and ${describeNotVerified(facts.notVerified)} could not be read. If it is not set, the reset fails on the device.`;
}

const REQUIREMENT_CHECKS: Readonly<Record<Requirement, (device: DeviceFacts, tenant: TenantFacts | undefined) => Check>> = {
  azure_ad_joined: (d) =>
    isOneOf(d.joinType, ['azureADJoined']) || isOneOf(d.deviceEnrollmentType, ['windowsAzureADJoin'])
      ? OK
      : refuse('not_azure_ad_joined', `The device is not joined to Microsoft Entra ID (Azure AD) (join type: ${d.joinType ?? 'not reported'}, enrollment: ${d.deviceEnrollmentType ?? 'not reported'}).`),
  // Consent is a hard prerequisite of the reset: what could not be verified is not sent (a write cannot be undone).
  pin_reset_apps: (_d, tenant) => {
    if (tenant === undefined) return TENANT_NOT_CHECKED;
    const missing = pinResetAppsWith(tenant.pinResetApps, 'absent');
    if (missing.length > 0) return refuse('pin_reset_apps_missing', `An administrator has not consented to ${missing.join(' and ')} in this tenant.`);
    const unverified = pinResetAppsWith(tenant.pinResetApps, 'not_verified');
    if (unverified.length > 0) return refuse('tenant_not_checked', `The consent to ${unverified.join(' and ')} could not be verified (${tenant.pinResetApps.why ?? 'not read'}), so no reset is sent.`);
    return OK;
  },
  // `unassigned` and `absent` are positive findings (every place was read), so the reset would fail. A place that
  // could not be read leaves it "not verified" (DOMAIN.md §2): the device stays eligible with a note the approver
  // sees, because a missing setting makes the device report the action as failed (non-destructive, reported with
  // its link), not a silent bad reset.
  pin_recovery_profile: (_d, tenant) => {
    if (tenant === undefined) return TENANT_NOT_CHECKED;
    const status = pinRecoveryStatus(tenant.pinRecovery);
    if (status === 'assigned') return OK;
    if (status === 'not_verified') return { ok: true, note: pinRecoveryNotVerifiedNote(tenant.pinRecovery) };
    if (status === 'unassigned') {
      return refuse('pin_recovery_profile_unassigned', `The policy that sets EnablePinRecovery (PassportForWork) exists (${describeSources(tenant.pinRecovery.unassigned)}) but is not assigned to any users or devices.`);
    }
    return refuse('pin_recovery_not_configured', 'No policy sets EnablePinRecovery (PassportForWork) to true: not in the Settings catalog, an Account protection policy, an Identity protection profile or a custom OMA-URI profile.');
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
  if (rule.kind === 'self_service') {
    const verdict = windowsSelfService(device, tenant);
    return no(verdict.reason, verdict.message);
  }
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
