/**
 * Windows 10/11 desktops: Intune has no Reset passcode for them, and none is needed. The user resets their own
 * Windows Hello for Business PIN at the sign-in screen ("I forgot my PIN"), with the Microsoft PIN reset service
 * (learn.microsoft.com/windows/security/identity-protection/hello-for-business/pin-reset). The tenant prerequisites
 * the product's seed listed for Windows 10 Mobile (the PIN Reset Service and Client apps consented, EnablePinRecovery
 * assigned) are the ones that make that reset non-destructive.
 *
 * The verdict is never "eligible": the request ends `ineligible` with `self_service` (the user can go ahead: here is
 * exactly what to do) or with the first prerequisite an administrator must fix first (`self_service_needs_*`),
 * listing every one that is missing. What Graph cannot show is said to be "not verified", never "missing".
 * Pure: reads the device facts and the tenant facts, makes no call.
 */
import { isAtLeast, isOneOf } from './platform';
import type { IneligibleReason } from './reasons';
import { describeSources, notVerifiedSentence, pinRecoveryStatus, pinResetAppsWith, type TenantFacts } from './tenant-facts';

/** The device facts this verdict reads (structural, so eligibility.ts can pass its DeviceFacts). */
export interface WindowsDeviceFields {
  readonly osVersion: string;
  readonly joinType?: string;
  readonly deviceEnrollmentType?: string;
}

/**
 * PIN reset at the sign-in screen needs Windows 10 version 1709 (build 16299) or later; up to version 1809 (build
 * 17763) it works on the Enterprise edition only, and from 1903 (build 18362) on Pro too (Learn, PIN reset, 2019-2022
 * editions). The edition is not among the facts read, so the verdict says so for builds before 18362.
 */
export const MIN_PIN_RESET_BUILD = '10.0.16299';
const PRO_EDITION_BUILD = '10.0.18362';

export interface SelfServiceVerdict {
  readonly reason: IneligibleReason;
  readonly message: string;
}

type Join = 'entra' | 'hybrid' | 'none';

function joinOf(device: WindowsDeviceFields): Join {
  if (isOneOf(device.joinType, ['hybridAzureADJoined'])) return 'hybrid';
  if (isOneOf(device.joinType, ['azureADJoined']) || isOneOf(device.deviceEnrollmentType, ['windowsAzureADJoin'])) return 'entra';
  return 'none';
}

const STEPS: Readonly<Record<Exclude<Join, 'none'>, string>> = {
  entra: 'At the Windows sign-in screen the user selects Sign-in options and the PIN (keypad) icon, then "I forgot my PIN", signs in with their work account and multifactor authentication, and sets a new PIN.',
  hybrid: 'At the Windows sign-in screen the user selects Sign-in options and the PIN (keypad) icon, then "I forgot my PIN", enters their password, and sets a new PIN.',
};
const FROM_SETTINGS = 'A user who can still sign in another way (for example with their password) can do the same in Settings > Accounts > Sign-in options > PIN (Windows Hello) > "I forgot my PIN".';
const DESTRUCTIVE = 'Windows deletes the user\'s Windows Hello keys and certificates and sets up a new PIN.';
const EDITION_NOTE = 'On this Windows 10 version (before 1903), PIN reset works on the Enterprise edition only.';

interface Problem {
  readonly reason: IneligibleReason;
  readonly fix: string;
}

/** What an administrator must fix first, in order: the join, the Windows build, the Pin Reset apps, PIN recovery. */
function problems(device: WindowsDeviceFields, join: Join, tenant: TenantFacts | undefined): Problem[] {
  const found: Problem[] = [];
  if (join === 'none') {
    found.push({
      reason: 'self_service_needs_entra_join',
      fix: `join the device to Microsoft Entra ID (Entra joined or hybrid joined: PIN reset works on no other kind of device; Intune reports join type ${device.joinType ?? 'not reported'})`,
    });
  }
  if (isAtLeast(device.osVersion, MIN_PIN_RESET_BUILD) !== true) {
    const runs = device.osVersion.trim() === '' ? 'Intune reports no OS version' : `the device runs ${device.osVersion}`;
    found.push({ reason: 'self_service_needs_newer_windows', fix: `update Windows (${runs}; PIN reset at the sign-in screen needs Windows 10 version 1709, build ${MIN_PIN_RESET_BUILD}, or later)` });
  }
  if (tenant === undefined) return found;
  const absentApps = pinResetAppsWith(tenant.pinResetApps, 'absent');
  if (absentApps.length > 0) found.push({ reason: 'self_service_needs_pin_reset_apps', fix: `consent to ${absentApps.join(' and ')} in Microsoft Entra ID` });
  const recovery = pinRecoveryStatus(tenant.pinRecovery);
  if (recovery === 'unassigned') {
    found.push({ reason: 'self_service_needs_pin_recovery', fix: `assign the policy that turns on PIN recovery (${describeSources(tenant.pinRecovery.unassigned)}) to the users or devices concerned` });
  } else if (recovery === 'absent') {
    found.push({
      reason: 'self_service_needs_pin_recovery',
      fix: 'turn on PIN recovery (Windows Hello For Business: Enable Pin Recovery = true) in a Settings catalog policy, an Account protection policy, an Identity protection profile or a custom OMA-URI profile, and assign it',
    });
  }
  return found;
}

/** The self-service verdict for a Windows desktop: what the user does, or what an administrator must fix first. */
export function windowsSelfService(device: WindowsDeviceFields, tenant: TenantFacts | undefined): SelfServiceVerdict {
  const join = joinOf(device);
  const found = problems(device, join, tenant);
  const first = found[0];
  const unverified = tenant === undefined ? 'Not verified: the tenant prerequisites (the Pin Reset apps and PIN recovery) were not checked.' : notVerifiedSentence(tenant);
  if (first !== undefined) {
    const prerequisite = found.some((p) => p.reason === 'self_service_needs_pin_reset_apps' || p.reason === 'self_service_needs_pin_recovery');
    return {
      reason: first.reason,
      message: [
        `Windows has no remote passcode reset: the user resets their own Windows Hello PIN at the sign-in screen ("I forgot my PIN"), but an administrator must first ${found.map((p) => p.fix).join('; and ')}.`,
        ...(prerequisite && join !== 'none' ? [`Until then, "I forgot my PIN" makes a destructive reset: ${DESTRUCTIVE}`] : []),
        ...(unverified === undefined ? [] : [unverified]),
      ].join(' '),
    };
  }
  const readyJoin = join === 'hybrid' ? 'hybrid' : 'entra';
  return {
    reason: 'self_service',
    message: [
      'Windows has no remote passcode reset, and none is needed: the user resets their own Windows Hello PIN.',
      STEPS[readyJoin],
      FROM_SETTINGS,
      ...(isAtLeast(device.osVersion, PRO_EDITION_BUILD) === true ? [] : [EDITION_NOTE]),
      ...(unverified === undefined ? [] : [unverified, `Without the Pin Reset apps consented and PIN recovery assigned, "I forgot my PIN" makes a destructive reset: ${DESTRUCTIVE}`]),
    ].join(' '),
  };
}
