/**
 * Reading what Intune reports about a device's platform. Graph's strings vary in case and spelling between tenants,
 * API versions and enrollment types, so every comparison here is case-insensitive and tolerant of the known variants.
 * Pure functions over plain strings: the eligibility table (eligibility.ts) is built on them.
 */

/** The fields platform detection looks at (a subset of DeviceFacts, kept structural to avoid an import cycle). */
export interface PlatformFields {
  readonly operatingSystem: string;
  readonly deviceType?: string;
  readonly deviceEnrollmentType?: string;
}

export type Version = readonly number[];

const norm = (value: string | undefined): string => (value ?? '').trim().toLowerCase();

/** True when `value` equals one of `options`, ignoring case and surrounding spaces. */
export function isOneOf(value: string | undefined, options: readonly string[]): boolean {
  const wanted = norm(value);
  return wanted !== '' && options.some((option) => option.toLowerCase() === wanted);
}

/**
 * The leading dotted number of an OS version: "10.0.15063.297" → [10, 0, 15063, 297], "14" → [14],
 * "14.5 (23F79)" → [14, 5]. Undefined when the text does not start with a number.
 */
export function parseVersion(text: string): Version | undefined {
  const leading = /^\d+(?:\.\d+)*/.exec(text.trim());
  return leading === null ? undefined : leading[0].split('.').map(Number);
}

/** Compares versions numerically, part by part; a missing part counts as 0 (10.0.15063 equals 10.0.15063.0). */
export function compareVersions(a: Version, b: Version): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}

/** True, false, or undefined when `osVersion` cannot be read as a version. */
export function isAtLeast(osVersion: string, minimum: string): boolean | undefined {
  const actual = parseVersion(osVersion);
  const wanted = parseVersion(minimum);
  if (actual === undefined || wanted === undefined) return undefined;
  return compareVersions(actual, wanted) >= 0;
}

/** The broad platform, from `operatingSystem` first and `deviceType` when the OS is empty or unfamiliar. */
export type PlatformFamily = 'windows' | 'android' | 'apple_mobile' | 'macos' | 'other';

const WINDOWS_TYPES = ['desktop', 'windowsRT', 'winMO6', 'windowsPhone', 'winCE', 'winEmbedded', 'holoLens', 'surfaceHub', 'windows10x', 'cloudPC'];
const ANDROID_TYPES = ['android', 'androidForWork', 'androidEnterprise', 'androidnGMS'];
const APPLE_MOBILE_TYPES = ['iPhone', 'iPad', 'iPod'];
const MAC_TYPES = ['mac', 'macMDM'];

export function platformFamily(device: PlatformFields): PlatformFamily {
  const os = norm(device.operatingSystem);
  // Intune reports "Android" and, for some enrollments, "AndroidEnterprise" or "AndroidForWork".
  if (os.startsWith('android')) return 'android';
  if (os === 'ios' || os === 'ipados') return 'apple_mobile';
  if (os === 'macos' || os === 'mac os x' || os === 'macosx' || os === 'mac') return 'macos';
  if (os.startsWith('windows')) return 'windows';
  if (isOneOf(device.deviceType, ANDROID_TYPES)) return 'android';
  if (isOneOf(device.deviceType, APPLE_MOBILE_TYPES)) return 'apple_mobile';
  if (isOneOf(device.deviceType, MAC_TYPES)) return 'macos';
  if (isOneOf(device.deviceType, WINDOWS_TYPES)) return 'windows';
  return 'other';
}

/**
 * Windows 10 Mobile. Microsoft does not document which beta `deviceType` such a device reports (DOMAIN.md §2);
 * `windowsPhone` is the documented member that fits, and an `operatingSystem` spelled "Windows Mobile",
 * "Windows 10 Mobile" or "Windows Phone" counts too. `winMO6` is Windows Mobile 6.x, a different, older OS.
 * A Windows device with no `deviceType` at all cannot be told apart from a desktop (the build numbers overlap:
 * 10.0.15063 is also desktop 1703), so it is treated as a desktop, which is refused: the safe side.
 */
export function isWindowsMobile(device: PlatformFields): boolean {
  if (isOneOf(device.deviceType, ['windowsPhone'])) return true;
  if (isOneOf(device.deviceType, ['winMO6'])) return false;
  return /^windows\s*(?:10\s*)?(?:mobile|phone)/.test(norm(device.operatingSystem));
}

/** Windows Mobile 6.x and Windows CE: neither a Windows 10 Mobile device nor a desktop. */
export function isLegacyWindowsHandheld(device: PlatformFields): boolean {
  return isOneOf(device.deviceType, ['winMO6', 'winCE']);
}

/** Android enrollments, from the beta `deviceEnrollmentType` (and `deviceType` where the enrollment type is silent). */
export type AndroidEnrollment =
  | 'dedicated'
  | 'aosp'
  | 'fully_managed'
  | 'corporate_work_profile'
  | 'personal_work_profile'
  | 'other';

export function androidEnrollment(device: PlatformFields): AndroidEnrollment {
  const enrollment = device.deviceEnrollmentType;
  if (isOneOf(enrollment, ['androidEnterpriseDedicatedDevice'])) return 'dedicated';
  if (isOneOf(enrollment, ['androidAOSPUserOwnedDeviceEnrollment', 'androidAOSPUserlessDeviceEnrollment'])) return 'aosp';
  if (isOneOf(enrollment, ['androidEnterpriseFullyManaged'])) return 'fully_managed';
  if (isOneOf(enrollment, ['androidEnterpriseCorporateWorkProfile'])) return 'corporate_work_profile';
  // AOSP devices report deviceType "androidnGMS" (Android, no Google Mobile Services).
  if (isOneOf(device.deviceType, ['androidnGMS'])) return 'aosp';
  // Microsoft documents no enrollment type for the personally-owned work profile: such devices report
  // deviceType "androidForWork" (and often operatingSystem "AndroidForWork") with deviceEnrollmentType "userEnrollment".
  if (isOneOf(device.deviceType, ['androidForWork']) || isOneOf(device.operatingSystem, ['AndroidForWork'])) return 'personal_work_profile';
  return 'other';
}

/**
 * Management agents that mean "enrolled in Intune MDM". Most contain "mdm" (mdm, easMdm, configurationManagerClientMdm,
 * configurationManagerClientMdmEas); Android Enterprise devices report googleCloudDevicePolicyController and AOSP
 * devices intuneAosp. microsoft365ManagedMdm is Basic Mobility and Security, not Intune, so it does not count.
 */
export function isMdmManaged(managementAgent: string | undefined): boolean {
  const agent = norm(managementAgent);
  if (agent === 'microsoft365managedmdm') return false;
  return agent.includes('mdm') || agent === 'googleclouddevicepolicycontroller' || agent === 'intuneaosp';
}
