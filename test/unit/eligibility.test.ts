/**
 * The eligibility table, as tables. Sources: Learn, "Reset or remove a device passcode"
 * (learn.microsoft.com/mem/intune/remote-actions/device-passcode-reset: device-level reset for "Android Enterprise
 * devices enrolled as Device Owner", that is fully managed; MicrosoftDocs/memdocs
 * intune/device-management/actions/reset-passcode.md for the other Android rows and the passcode policy); Learn,
 * "PIN reset" (learn.microsoft.com/windows/security/identity-protection/hello-for-business/pin-reset: the Pin Reset
 * Service and Client apps, PIN recovery in four places, Entra joined and hybrid joined devices, "I forgot my PIN" at
 * the sign-in screen, destructive reset without the service); DOMAIN.md §1–§2.
 */
import {
  EFFECT_DESCRIPTIONS,
  ELIGIBILITY_RULES,
  describeEffect,
  evaluateEligibility,
  needsTenantFacts,
  pinRecoveryNotVerifiedNote,
  platformRuleFor,
  type DeviceFacts,
  type EligibilityPolicy,
  type TenantFacts,
  type Verdict,
} from '../../src/domain/eligibility';
import { INELIGIBLE_REASONS, isSelfServiceReason, type IneligibleReason } from '../../src/domain/reasons';
import type { Finding, PinRecoveryFacts } from '../../src/domain/tenant-facts';
import { FIXTURE_DEVICES, fixtureDevices, type FixtureDeviceName, type SandboxManagedDevice } from '@resetpc/sandbox';

const NOW = Date.parse('2026-05-01T12:00:00Z');
const HOUR = 60 * 60 * 1000;
const policy = (overrides: Partial<EligibilityPolicy> = {}): EligibilityPolicy => ({ now: new Date(NOW), maxSyncAgeHours: 24, iosRemovePasscode: false, ...overrides });
const RECOVERY_ASSIGNED: PinRecoveryFacts = { assigned: ['settings_catalog'], unassigned: [], notVerified: [] };
const TENANT_READY: TenantFacts = { pinResetApps: { service: 'present', client: 'present' }, pinRecovery: RECOVERY_ASSIGNED };
const tenant = (service: Finding, client: Finding, pinRecovery: PinRecoveryFacts = RECOVERY_ASSIGNED): TenantFacts => ({
  pinResetApps: { service, client, ...(service === 'not_verified' || client === 'not_verified' ? { why: 'the app lacks Application.Read.All' } : {}) },
  pinRecovery,
});
const FORBIDDEN = 'the app lacks DeviceManagementConfiguration.Read.All';
const RECOVERY: Readonly<Record<'unassigned' | 'absent' | 'not_verified', PinRecoveryFacts>> = {
  unassigned: { assigned: [], unassigned: ['settings_catalog'], notVerified: [] },
  absent: { assigned: [], unassigned: [], notVerified: [] },
  not_verified: { assigned: [], unassigned: [], notVerified: [{ source: 'settings_catalog', why: FORBIDDEN }, { source: 'account_protection', why: FORBIDDEN }] },
};

/** Overrides may say `undefined` to mean "Graph did not report it": the key is then left out, as the gateway does. */
type Overrides = { readonly [K in keyof DeviceFacts]?: DeviceFacts[K] | null | undefined };
const present = (fields: Overrides): Partial<DeviceFacts> => Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== null));

/** What the gateway's $select gives eligibility: the sandbox's managedDevice, field by field (ownerType: beta, else v1.0). */
function toFacts(d: SandboxManagedDevice): DeviceFacts {
  return {
    id: d.id, deviceName: d.deviceName ?? '', operatingSystem: d.operatingSystem ?? '', osVersion: d.osVersion ?? '',
    ...present({
      deviceType: d.deviceType, joinType: d.joinType, deviceEnrollmentType: d.deviceEnrollmentType, managementAgent: d.managementAgent,
      managementState: d.managementState, ownerType: d.ownerType ?? d.managedDeviceOwnerType, isSupervised: d.isSupervised,
      lastSyncDateTime: d.lastSyncDateTime, azureADDeviceId: d.azureADDeviceId, serialNumber: d.serialNumber, userPrincipalName: d.userPrincipalName,
    }),
  };
}

const FIXTURES = new Map(fixtureDevices(NOW).map((seed) => [seed.device.id, toFacts(seed.device)]));
const fixture = (name: FixtureDeviceName): DeviceFacts => FIXTURES.get(FIXTURE_DEVICES[name])!;

const SYNTHETIC: DeviceFacts = {
  id: 'd0000000-0000-4000-8000-00000000beef', deviceName: 'SYNTHETIC', operatingSystem: 'Android', osVersion: '14',
  deviceType: 'androidEnterprise', deviceEnrollmentType: 'androidEnterpriseFullyManaged', managementAgent: 'mdm',
  managementState: 'managed', ownerType: 'company', lastSyncDateTime: new Date(NOW - HOUR).toISOString(),
};
/** A managed, recently synced device; each case changes only what it is about. */
function device(overrides: Overrides): DeviceFacts {
  const merged: Overrides = { ...SYNTHETIC, ...overrides };
  return { id: SYNTHETIC.id, deviceName: SYNTHETIC.deviceName, operatingSystem: merged.operatingSystem ?? '', osVersion: merged.osVersion ?? '', ...present(merged) };
}
const windowsMobile = (overrides: Overrides = {}): DeviceFacts =>
  device({ operatingSystem: 'Windows', osVersion: '10.0.15063.297', deviceType: 'windowsPhone', joinType: 'azureADJoined', deviceEnrollmentType: 'windowsAzureADJoin', ...overrides });
const iphone = (overrides: Overrides = {}): DeviceFacts =>
  device({ operatingSystem: 'iOS', osVersion: '17.5', deviceType: 'iPhone', deviceEnrollmentType: 'appleBulkWithUser', isSupervised: true, ...overrides });

type Expected = { rule: string; effect: string } | { rule: string; reason: IneligibleReason };
const outcome = (v: Verdict): Expected => (v.eligible ? { rule: v.rule, effect: v.effect } : { rule: v.rule, reason: v.reason });
const reasonOf = (v: Verdict): string => (v.eligible ? `eligible:${v.effect}` : v.reason);

/** Every fixture device (a Record, so a new fixture without a row fails to compile), with iOS off (the default). */
const FIXTURE_VERDICTS: Record<FixtureDeviceName, Expected> = {
  windowsMobileAadJoined: { rule: 'windows_10_mobile', effect: 'device_passcode_reset' },
  windowsMobileOldBuild: { rule: 'windows_10_mobile', reason: 'os_too_old' },
  windowsMobileNotAadJoined: { rule: 'windows_10_mobile', reason: 'not_azure_ad_joined' },
  // Windows desktop: no remote reset; the user resets the Windows Hello PIN at the sign-in screen (self-service).
  windowsDesktop: { rule: 'windows_desktop', reason: 'self_service' },
  iosSupervised: { rule: 'ios_ipados', reason: 'ios_disabled' },
  iosUnsupervised: { rule: 'ios_ipados', reason: 'ios_disabled' },
  ipadosUnsupervised: { rule: 'ios_ipados', reason: 'ios_disabled' },
  macos: { rule: 'macos', reason: 'macos' },
  androidDedicated: { rule: 'android_enterprise_dedicated', effect: 'device_passcode_reset' },
  // Fully managed is Device Owner: a device-level reset (Learn, "Reset or remove a device passcode").
  androidFullyManaged: { rule: 'android_enterprise_fully_managed', effect: 'device_passcode_reset' },
  androidCorporateWorkProfile: { rule: 'android_enterprise_corporate_work_profile', effect: 'work_profile_passcode_reset' },
  androidPersonalWorkProfile: { rule: 'android_enterprise_personal_work_profile', effect: 'work_profile_passcode_reset' },
  androidAosp: { rule: 'android_aosp', effect: 'device_passcode_reset' },
  retirePending: { rule: 'android_enterprise_fully_managed', reason: 'retire_pending' },
  wipePending: { rule: 'android_enterprise_fully_managed', reason: 'wipe_pending' },
  notSyncedForMonths: { rule: 'android_enterprise_fully_managed', reason: 'stale_sync' },
  // Two devices share a name: resolution reports the ambiguity; each device on its own qualifies.
  sharedNameFirst: { rule: 'android_enterprise_dedicated', effect: 'device_passcode_reset' },
  sharedNameSecond: { rule: 'android_enterprise_dedicated', effect: 'device_passcode_reset' },
  // Passcode policies are not visible through managedDevice: the device qualifies, with the note that the reset needs one.
  androidNoPasscodePolicy: { rule: 'android_enterprise_fully_managed', effect: 'device_passcode_reset' },
};

describe('eligibility of the sandbox fixture devices', () => {
  it.each(Object.entries(FIXTURE_VERDICTS) as [FixtureDeviceName, Expected][])('classifies %s: %j', (name, expected) => {
    expect(outcome(evaluateEligibility(fixture(name), TENANT_READY, policy()))).toEqual(expected);
  });

  it.each([
    ['iosSupervised', 'eligible:passcode_removed'],
    ['iosUnsupervised', 'ios_not_supervised'],
    ['ipadosUnsupervised', 'eligible:passcode_removed'], // not supervised, but corporate-owned
  ] as const)('with Remove passcode turned on, classifies %s as %s', (name, expected) => {
    expect(reasonOf(evaluateEligibility(fixture(name), undefined, policy({ iosRemovePasscode: true })))).toBe(expected);
  });
});

describe('the eligibility table', () => {
  const synthetic: DeviceFacts[] = [
    device({ operatingSystem: 'Android', deviceType: 'android', deviceEnrollmentType: 'userEnrollment' }),
    device({ operatingSystem: 'Linux', deviceType: 'linux' }),
  ];

  it('has one row per platform, each reached by a fixture or a synthetic device', () => {
    const reached = new Set([...FIXTURES.values(), ...synthetic].map((d) => platformRuleFor(d).id));
    expect([...reached].sort()).toEqual(ELIGIBILITY_RULES.map((r) => r.id).sort());
    expect(new Set(ELIGIBILITY_RULES.map((r) => r.id)).size).toBe(ELIGIBILITY_RULES.length);
  });

  it.each([
    [{ operatingSystem: 'Windows', deviceType: 'windowsPhone' }, 'windows_10_mobile'],
    [{ operatingSystem: 'Windows Mobile', deviceType: undefined }, 'windows_10_mobile'],
    [{ operatingSystem: 'Windows 10 Mobile', deviceType: 'unknown' }, 'windows_10_mobile'],
    [{ operatingSystem: 'Windows', deviceType: 'desktop' }, 'windows_desktop'],
    [{ operatingSystem: 'Windows', deviceType: undefined }, 'windows_desktop'], // cannot tell from a desktop: refused
    [{ operatingSystem: 'Windows', deviceType: 'winMO6' }, 'unsupported_platform'],
    [{ operatingSystem: 'iOS', deviceType: 'iPhone' }, 'ios_ipados'],
    [{ operatingSystem: 'iPadOS', deviceType: 'iPad' }, 'ios_ipados'],
    [{ operatingSystem: '', deviceType: 'iPad' }, 'ios_ipados'],
    [{ operatingSystem: 'macOS', deviceType: 'macMDM' }, 'macos'],
    [{ operatingSystem: 'Mac OS X', deviceType: undefined }, 'macos'],
    [{ operatingSystem: 'ANDROID', deviceType: 'ANDROIDENTERPRISE', deviceEnrollmentType: 'ANDROIDENTERPRISEDEDICATEDDEVICE' }, 'android_enterprise_dedicated'],
    [{ operatingSystem: 'AndroidEnterprise', deviceEnrollmentType: 'androidEnterpriseFullyManaged' }, 'android_enterprise_fully_managed'],
    [{ operatingSystem: 'AndroidForWork', deviceType: undefined, deviceEnrollmentType: 'userEnrollment' }, 'android_enterprise_personal_work_profile'],
    [{ operatingSystem: 'Android', deviceType: 'androidnGMS', deviceEnrollmentType: 'androidAOSPUserOwnedDeviceEnrollment' }, 'android_aosp'],
    [{ operatingSystem: 'Android', deviceType: 'android', deviceEnrollmentType: 'userEnrollment' }, 'android_other_enrollment'],
    [{ operatingSystem: 'ChromeOS', deviceType: 'chromeOS' }, 'unsupported_platform'],
    [{ operatingSystem: '', deviceType: undefined }, 'unsupported_platform'],
  ] as const)('matches %o to the %s row', (fields, rule) => {
    expect(platformRuleFor(device({ deviceType: undefined, deviceEnrollmentType: undefined, ...fields })).id).toBe(rule);
  });

  it.each([
    ['a Windows 10 Mobile device', windowsMobile(), true],
    ['a Windows 10 Mobile device before the Creators Update', windowsMobile({ osVersion: '10.0.14393' }), true],
    ['a Windows desktop (its self-service verdict reads them)', fixture('windowsDesktop'), true],
    ['an Android device', fixture('androidDedicated'), false],
    ['an iPhone', fixture('iosSupervised'), false],
  ])('needs tenant facts for %s: %p', (_what, d, expected) => {
    expect(needsTenantFacts(d)).toBe(expected);
  });
});

describe('Windows 10 Mobile', () => {
  it.each([
    ['10.0.15062', 'os_too_old'],
    ['10.0.15063', 'eligible:device_passcode_reset'],
    ['10.0.15063.2', 'eligible:device_passcode_reset'],
    ['10.0.15254.1', 'eligible:device_passcode_reset'],
    ['10.0.9999', 'os_too_old'], // compared as numbers: 9999 < 15063, though "9" > "1" as text
    ['10.1', 'eligible:device_passcode_reset'],
    ['8.10.14219', 'os_too_old'],
    ['', 'os_too_old'],
  ])('with osVersion %p: %s', (osVersion, expected) => {
    expect(reasonOf(evaluateEligibility(windowsMobile({ osVersion }), TENANT_READY, policy()))).toBe(expected);
  });

  it.each([
    [{ joinType: 'azureADJoined', deviceEnrollmentType: 'userEnrollment' }, 'eligible:device_passcode_reset'],
    [{ joinType: 'unknown', deviceEnrollmentType: 'windowsAzureADJoin' }, 'eligible:device_passcode_reset'],
    [{ joinType: 'azureADRegistered', deviceEnrollmentType: 'userEnrollment' }, 'not_azure_ad_joined'],
    [{ joinType: undefined, deviceEnrollmentType: undefined }, 'not_azure_ad_joined'],
  ])('joined as %o: %s', (join, expected) => {
    expect(reasonOf(evaluateEligibility(windowsMobile(join), TENANT_READY, policy()))).toBe(expected);
  });

  it.each([
    ['both apps, PIN recovery assigned', tenant('present', 'present'), 'eligible:device_passcode_reset', ''],
    ['no Pin Reset Client', tenant('present', 'absent'), 'pin_reset_apps_missing', 'Microsoft Pin Reset Client (9115dd05-fad5-4f9c-acc7-305d08b1b04e)'],
    ['no Pin Reset Service', tenant('absent', 'present'), 'pin_reset_apps_missing', 'Microsoft Pin Reset Service (b8456c59-1230-44c7-a4a2-99b085333e84)'],
    ['neither app', tenant('absent', 'absent'), 'pin_reset_apps_missing', 'Service (b8456c59-1230-44c7-a4a2-99b085333e84) and Microsoft Pin Reset Client'],
    ['the apps not verified (no Application.Read.All)', tenant('not_verified', 'not_verified'), 'tenant_not_checked', 'could not be verified (the app lacks Application.Read.All)'],
    ['PIN recovery set but unassigned', tenant('present', 'present', RECOVERY.unassigned), 'pin_recovery_profile_unassigned', 'a Settings catalog policy'],
    ['PIN recovery set nowhere (every place read)', tenant('present', 'present', RECOVERY.absent), 'pin_recovery_not_configured', 'No policy sets EnablePinRecovery'],
    ['PIN recovery not verified', tenant('present', 'present', RECOVERY.not_verified), 'eligible:device_passcode_reset', 'Could not verify EnablePinRecovery'],
    ['no tenant facts at all', undefined, 'tenant_not_checked', 'were not checked'],
  ])('in a tenant with %s: %s, saying %p', (_what, facts, expected, says) => {
    const verdict = evaluateEligibility(windowsMobile(), facts, policy());
    expect(reasonOf(verdict)).toBe(expected);
    expect(verdict.eligible ? verdict.notes.join(' ') : verdict.message).toContain(says);
  });

  it('notes which places could not be read when PIN recovery is not verified, never that it is absent', () => {
    const verdict = evaluateEligibility(windowsMobile(), tenant('present', 'present', RECOVERY.not_verified), policy());
    expect(verdict).toEqual({ eligible: true, rule: 'windows_10_mobile', effect: 'device_passcode_reset', notes: [pinRecoveryNotVerifiedNote(RECOVERY.not_verified)] });
    expect(pinRecoveryNotVerifiedNote(RECOVERY.not_verified)).toBe(
      'Could not verify EnablePinRecovery: no assigned policy sets it in what could be read, and a Settings catalog policy and an endpoint security Account protection policy (the app lacks DeviceManagementConfiguration.Read.All) could not be read. If it is not set, the reset fails on the device.',
    );
    expect(pinRecoveryNotVerifiedNote(RECOVERY.not_verified)).not.toMatch(/absent|missing/);
  });
});

describe('Android', () => {
  it.each([
    ['androidEnterpriseFullyManaged', '7.1.2', 'android_too_old'],
    ['androidEnterpriseFullyManaged', '7.1', 'android_too_old'],
    ['androidEnterpriseFullyManaged', '8.0', 'eligible:device_passcode_reset'],
    ['androidEnterpriseFullyManaged', '8', 'eligible:device_passcode_reset'],
    ['androidEnterpriseCorporateWorkProfile', '7.1', 'android_too_old'],
    ['androidEnterpriseCorporateWorkProfile', '14', 'eligible:work_profile_passcode_reset'],
    ['androidEnterpriseDedicatedDevice', '7.1', 'eligible:device_passcode_reset'], // no minimum documented for the device passcode
    ['androidAOSPUserlessDeviceEnrollment', '10', 'eligible:device_passcode_reset'],
  ])('%s on Android %s: %s', (deviceEnrollmentType, osVersion, expected) => {
    expect(reasonOf(evaluateEligibility(device({ deviceEnrollmentType, osVersion }), undefined, policy()))).toBe(expected);
  });

  it('notes that a passcode policy must be assigned', () => {
    for (const name of ['androidDedicated', 'androidAosp', 'androidFullyManaged', 'androidPersonalWorkProfile'] as const) {
      const verdict = evaluateEligibility(fixture(name), undefined, policy());
      expect(verdict.eligible && verdict.notes.join(' ')).toMatch(/passcode policy must be assigned/);
    }
  });

  it('resets the device passcode of a fully managed (Device Owner) device, and says so: not a work-profile passcode', () => {
    const verdict = evaluateEligibility(fixture('androidFullyManaged'), undefined, policy());
    expect(verdict).toMatchObject({ eligible: true, rule: 'android_enterprise_fully_managed', effect: 'device_passcode_reset' });
    expect(verdict.eligible && verdict.notes.join(' ')).toMatch(/changes the device passcode, not a work-profile passcode/);
    expect(verdict.eligible && verdict.notes.join(' ')).not.toMatch(/activate the new work-profile passcode/);
  });

  it.each([
    ['androidEnterpriseCorporateWorkProfile', 'work_profile_passcode_reset'],
    ['androidEnterpriseDedicatedDevice', 'device_passcode_reset'],
    ['androidEnterpriseFullyManaged', 'device_passcode_reset'],
    ['androidAOSPUserOwnedDeviceEnrollment', 'device_passcode_reset'],
  ] as const)('%s: the effect is %s', (deviceEnrollmentType, effect) => {
    expect(evaluateEligibility(device({ deviceEnrollmentType }), undefined, policy())).toMatchObject({ eligible: true, effect });
  });

  it('refuses a device administrator enrollment with the reason and what is supported', () => {
    const verdict = evaluateEligibility(device({ deviceType: 'android', deviceEnrollmentType: 'userEnrollment' }), undefined, policy());
    expect(verdict).toMatchObject({ eligible: false, reason: 'android_enrollment_unsupported', message: expect.stringContaining('Android Enterprise') });
  });
});

describe('iOS/iPadOS', () => {
  it.each([
    [false, { isSupervised: true, ownerType: 'company' }, 'ios_disabled'],
    [true, { isSupervised: true, ownerType: 'personal' }, 'eligible:passcode_removed'],
    [true, { isSupervised: false, ownerType: 'company' }, 'eligible:passcode_removed'],
    [true, { isSupervised: false, ownerType: 'personal' }, 'ios_not_supervised'],
    [true, { isSupervised: undefined, ownerType: 'unknown' }, 'ios_not_supervised'],
  ])('with Remove passcode %p, a device %o: %s', (iosRemovePasscode, fields, expected) => {
    expect(reasonOf(evaluateEligibility(iphone(fields), undefined, policy({ iosRemovePasscode })))).toBe(expected);
  });

  it('says the passcode is removed, never reset', () => {
    const verdict = evaluateEligibility(iphone(), undefined, policy({ iosRemovePasscode: true }));
    expect(verdict).toMatchObject({ eligible: true, effect: 'passcode_removed' });
    expect(verdict.eligible && verdict.notes.join(' ')).toMatch(/removed, not reset/);
  });
});

describe('what every platform must satisfy', () => {
  it.each([
    [{ managementAgent: 'eas' }, 'not_mdm_managed'],
    [{ managementAgent: undefined }, 'not_mdm_managed'],
    [{ managementAgent: 'microsoft365ManagedMdm' }, 'not_mdm_managed'],
    [{ managementAgent: 'configurationManagerClient' }, 'not_mdm_managed'],
    [{ managementAgent: 'easMdm' }, 'eligible:device_passcode_reset'],
    [{ managementAgent: 'configurationManagerClientMdm' }, 'eligible:device_passcode_reset'],
    [{ managementAgent: 'googleCloudDevicePolicyController' }, 'eligible:device_passcode_reset'],
    [{ managementAgent: 'intuneAosp' }, 'eligible:device_passcode_reset'],
    [{ managementState: 'retirePending' }, 'retire_pending'],
    [{ managementState: 'retireIssued' }, 'retire_pending'],
    [{ managementState: 'wipePending' }, 'wipe_pending'],
    [{ managementState: 'wipeIssued' }, 'wipe_pending'],
    [{ managementState: 'retireFailed' }, 'not_managed'],
    [{ managementState: 'deletePending' }, 'not_managed'],
    [{ managementState: undefined }, 'not_managed'],
    [{ lastSyncDateTime: new Date(NOW - 24 * HOUR).toISOString() }, 'eligible:device_passcode_reset'],
    [{ lastSyncDateTime: new Date(NOW - 24 * HOUR - 1).toISOString() }, 'stale_sync'],
    [{ lastSyncDateTime: new Date(NOW + HOUR).toISOString() }, 'eligible:device_passcode_reset'], // clock skew
    [{ lastSyncDateTime: '0001-01-01T00:00:00Z' }, 'stale_sync'],
    [{ lastSyncDateTime: undefined }, 'stale_sync'],
    [{ lastSyncDateTime: 'yesterday' }, 'stale_sync'],
  ])('a device with %o: %s', (fields, expected) => {
    expect(reasonOf(evaluateEligibility(device(fields), undefined, policy()))).toBe(expected);
  });

  it('says how long ago a stale device synced, and the limit', () => {
    const verdict = evaluateEligibility(fixture('notSyncedForMonths'), undefined, policy());
    expect(verdict.eligible ? '' : verdict.message).toMatch(/last synced with Intune 150 days ago .* more than the 24-hour limit/);
  });

  it('gives the platform refusal or self-service verdict before any management problem', () => {
    expect(reasonOf(evaluateEligibility({ ...fixture('windowsDesktop'), managementState: 'wipePending' }, TENANT_READY, policy()))).toBe('self_service');
    expect(reasonOf(evaluateEligibility({ ...fixture('iosSupervised'), managementAgent: 'eas' }, undefined, policy()))).toBe('ios_disabled');
  });

  it('refuses Windows desktop and macOS pointing to self-service recovery', () => {
    expect(evaluateEligibility(fixture('windowsDesktop'), TENANT_READY, policy())).toMatchObject({ message: expect.stringContaining('"I forgot my PIN"') });
    expect(evaluateEligibility(fixture('macos'), undefined, policy())).toMatchObject({ message: expect.stringContaining('recovers the local account password') });
  });

  it('gives every refusal a known reason and a message', () => {
    const devices = [...FIXTURES.values(), device({ operatingSystem: 'Linux' }), device({ managementAgent: 'eas' })];
    for (const verdict of devices.map((d) => evaluateEligibility(d, undefined, policy()))) {
      if (verdict.eligible) continue;
      expect(INELIGIBLE_REASONS).toContain(verdict.reason);
      expect(verdict.message).toMatch(/^[A-Za-z].{20,}\.$/); // a whole sentence
    }
  });
});

describe('Windows desktops: self-service at the sign-in screen, never a remote reset', () => {
  const desktop = (overrides: Overrides = {}): DeviceFacts =>
    device({ operatingSystem: 'Windows', osVersion: '10.0.22631.4037', deviceType: 'desktop', joinType: 'azureADJoined', deviceEnrollmentType: 'windowsAzureADJoin', ...overrides });
  const verdictOf = (d: DeviceFacts, facts: TenantFacts | undefined): { reason: string; message: string } => {
    const verdict = evaluateEligibility(d, facts, policy());
    if (verdict.eligible) throw new Error('a Windows desktop is never eligible for a remote reset');
    expect(verdict.rule).toBe('windows_desktop');
    return { reason: verdict.reason, message: verdict.message };
  };

  it.each([
    // The join type: PIN reset works on Entra joined and hybrid joined devices only.
    ['Entra joined, prerequisites in place', {}, TENANT_READY, 'self_service', ['"I forgot my PIN"', 'signs in with their work account and multifactor authentication', 'Settings > Accounts > Sign-in options']],
    ['Entra joined as the enrollment says (join type unknown)', { joinType: 'unknown' }, TENANT_READY, 'self_service', ['"I forgot my PIN"']],
    ['hybrid joined', { joinType: 'hybridAzureADJoined', deviceEnrollmentType: 'windowsCoManagement' }, TENANT_READY, 'self_service', ['enters their password']],
    ['only Entra registered', { joinType: 'azureADRegistered', deviceEnrollmentType: 'userEnrollment' }, TENANT_READY, 'self_service_needs_entra_join', ['join the device to Microsoft Entra ID', 'join type azureADRegistered']],
    ['join type not reported', { joinType: undefined, deviceEnrollmentType: undefined }, TENANT_READY, 'self_service_needs_entra_join', ['join type not reported']],
    // The OS build: Windows 10 version 1709 (10.0.16299) or later; before 1903, Enterprise only.
    ['Windows 10 1703', { osVersion: '10.0.15063.2' }, TENANT_READY, 'self_service_needs_newer_windows', ['the device runs 10.0.15063.2', 'build 10.0.16299']],
    ['no OS version', { osVersion: '' }, TENANT_READY, 'self_service_needs_newer_windows', ['Intune reports no OS version']],
    ['Windows 10 1809 (LTSC 2019)', { osVersion: '10.0.17763.6054' }, TENANT_READY, 'self_service', ['works on the Enterprise edition only']],
    // The tenant prerequisites: what is proven missing is for an administrator to fix first.
    ['the Pin Reset Service not consented', {}, tenant('absent', 'present'), 'self_service_needs_pin_reset_apps', ['consent to Microsoft Pin Reset Service (b8456c59-1230-44c7-a4a2-99b085333e84)', 'destructive reset']],
    ['PIN recovery assigned to nobody', {}, tenant('present', 'present', RECOVERY.unassigned), 'self_service_needs_pin_recovery', ['assign the policy that turns on PIN recovery (a Settings catalog policy)', 'destructive reset']],
    ['PIN recovery set nowhere', {}, tenant('present', 'present', RECOVERY.absent), 'self_service_needs_pin_recovery', ['turn on PIN recovery', 'Identity protection profile', 'custom OMA-URI profile']],
    // What Graph could not show is "not verified", and the user can still go ahead.
    ['the apps not verified', {}, tenant('not_verified', 'not_verified'), 'self_service', ['Not verified: the consent to', 'the app lacks Application.Read.All', 'destructive reset']],
    ['PIN recovery not verified', {}, tenant('present', 'present', RECOVERY.not_verified), 'self_service', ['Not verified: whether PIN recovery is set in a Settings catalog policy and an endpoint security Account protection policy (the app lacks DeviceManagementConfiguration.Read.All)']],
    ['no tenant facts', {}, undefined, 'self_service', ['were not checked']],
  ] as const)('%s: %s', (_what, fields, facts, reason, says) => {
    const verdict = verdictOf(desktop(fields), facts);
    expect(verdict.reason).toBe(reason);
    expect(isSelfServiceReason(verdict.reason)).toBe(true);
    for (const text of says) expect(verdict.message).toContain(text);
    expect(verdict.message).toMatch(/^[A-Z].{40,}\.$/);
    expect(verdict.message).not.toMatch(/\babsent\b/);
  });

  it('names every prerequisite an administrator must fix, the first one as the reason', () => {
    const verdict = verdictOf(desktop({ joinType: 'azureADRegistered', deviceEnrollmentType: 'userEnrollment', osVersion: '10.0.14393' }), tenant('absent', 'absent', RECOVERY.absent));
    expect(verdict.reason).toBe('self_service_needs_entra_join');
    expect(verdict.message).toMatch(/join the device to Microsoft Entra ID .*; and update Windows .*; and consent to Microsoft Pin Reset Service .* and Microsoft Pin Reset Client .*; and turn on PIN recovery/);
  });

  it('does not look at the management state or the last sync: the user resets the PIN on the device', () => {
    expect(verdictOf(desktop({ managementState: 'retirePending', lastSyncDateTime: undefined }), TENANT_READY).reason).toBe('self_service');
    expect(verdictOf(desktop({ managementAgent: 'eas' }), TENANT_READY).reason).toBe('self_service');
  });
});

describe('the effect of a reset, in plain words', () => {
  it.each([
    ['device_passcode_reset', /device passcode: the screen lock of the whole device/],
    ['work_profile_passcode_reset', /work-profile passcode only, not the screen lock of the device/],
    ['passcode_removed', /removed, not reset/],
  ] as const)('describes %s', (effect, words) => {
    expect(EFFECT_DESCRIPTIONS[effect]).toMatch(words);
    expect(describeEffect(effect)).toBe(EFFECT_DESCRIPTIONS[effect]);
  });

  it('describes nothing for an unknown or missing effect', () => {
    expect(describeEffect('toString')).toBeUndefined();
    expect(describeEffect(undefined)).toBeUndefined();
  });
});
