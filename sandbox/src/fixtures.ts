/**
 * The fixture tenant: one device per case of the eligibility matrix (issue 3), and the tenant prerequisites of the
 * Windows 10 Mobile rule in any combination. All plain data, built relative to `now` so "not synced for months"
 * stays true.
 */
import type { ServicePrincipal } from '@microsoft/microsoft-graph-types';
import { prerequisiteConfigurations, prerequisitePolicies, type PinRecoveryProfile, type PinRecoverySourceKind } from './fixtures-config';
import type { DeviceSeed, SandboxApp, SandboxManagedDevice, SandboxTenantState } from './tenant';

export { PIN_RECOVERY_OMA_URI_SUFFIX, type PinRecoveryProfile, type PinRecoverySourceKind } from './fixtures-config';

export const SANDBOX_TENANT_ID = '5a9d0c1e-0000-4000-8000-5a9d0c1e0001';
export const SANDBOX_CLIENT_ID = '5a9d0c1e-0000-4000-8000-5a9d0c1e00a1';
export const PIN_RESET_SERVICE_APP_ID = 'b8456c59-1230-44c7-a4a2-99b085333e84';
export const PIN_RESET_CLIENT_APP_ID = '9115dd05-fad5-4f9c-acc7-305d08b1b04e';

/** The least-privilege application permissions the product needs (DOMAIN.md §2). */
export const PRODUCT_ROLES: readonly string[] = [
  'DeviceManagementManagedDevices.Read.All',
  'DeviceManagementManagedDevices.PrivilegedOperations.All',
  'DeviceManagementConfiguration.Read.All',
  'Application.Read.All',
  'Mail.Send',
];

const id = (n: number): string => `d0000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;

/** Fixture device ids, by the case each one covers. */
export const FIXTURE_DEVICES = {
  windowsMobileAadJoined: id(1),
  windowsMobileOldBuild: id(2),
  windowsMobileNotAadJoined: id(3),
  windowsDesktop: id(4),
  iosSupervised: id(5),
  iosUnsupervised: id(6),
  ipadosUnsupervised: id(7),
  macos: id(8),
  androidDedicated: id(9),
  androidFullyManaged: id(10),
  androidCorporateWorkProfile: id(11),
  androidPersonalWorkProfile: id(12),
  androidAosp: id(13),
  retirePending: id(14),
  wipePending: id(15),
  notSyncedForMonths: id(16),
  sharedNameFirst: id(17),
  sharedNameSecond: id(18),
  androidNoPasscodePolicy: id(19),
} as const;

export type FixtureDeviceName = keyof typeof FIXTURE_DEVICES;

/** The name two fixture devices share. */
export const SHARED_DEVICE_NAME = 'FRONTDESK-TAB';

export type PinResetServicePrincipals = 'both' | 'serviceOnly' | 'clientOnly' | 'none';

export interface FixtureTenantOptions {
  now?: number;
  tenantId?: string;
  clientId?: string;
  /** Defaults to a random secret made by startSandbox; fixtures need one to be complete. */
  clientSecret?: string;
  roles?: readonly string[];
  pinResetServicePrincipals?: PinResetServicePrincipals;
  /** PIN recovery assigned (default), set but unassigned, or missing... */
  pinRecoveryProfile?: PinRecoveryProfile;
  /** ...in this place: a custom OMA-URI profile (default), the Settings catalog, Account protection or Identity protection. */
  pinRecoverySource?: PinRecoverySourceKind;
}

const DAY = 24 * 60 * 60 * 1000;

function androidEnterprise(deviceType: NonNullable<SandboxManagedDevice['deviceType']>, enrollment: NonNullable<SandboxManagedDevice['deviceEnrollmentType']>, owner: 'company' | 'personal'): Partial<SandboxManagedDevice> {
  return { operatingSystem: 'Android', osVersion: '14', manufacturer: 'Google', model: 'Pixel 8', deviceType, deviceEnrollmentType: enrollment, managedDeviceOwnerType: owner, ownerType: owner };
}

function windowsMobile(osVersion: string, aadJoined: boolean): Partial<SandboxManagedDevice> {
  return {
    operatingSystem: 'Windows',
    osVersion,
    model: 'Lumia 950',
    manufacturer: 'Microsoft',
    deviceType: 'windowsPhone',
    azureADRegistered: aadJoined,
    joinType: aadJoined ? 'azureADJoined' : 'unknown',
    deviceEnrollmentType: aadJoined ? 'windowsAzureADJoin' : 'userEnrollment',
  };
}

/** The fixture devices, each with the case it covers. */
export function fixtureDevices(now: number = Date.now()): DeviceSeed[] {
  const iso = (ms: number): string => new Date(ms).toISOString();
  let serial = 1000;
  const make = (key: FixtureDeviceName, deviceName: string, props: Partial<SandboxManagedDevice>, note: string, extra: Omit<DeviceSeed, 'device' | 'note'> = {}): DeviceSeed => ({
    device: {
      id: FIXTURE_DEVICES[key],
      deviceName,
      serialNumber: `SBX${(serial++).toString()}`,
      azureADDeviceId: FIXTURE_DEVICES[key].replace(/^d/, 'a'),
      azureADRegistered: true,
      userPrincipalName: 'anna.example@sandbox.example',
      userDisplayName: 'Anna Example',
      enrolledDateTime: iso(now - 400 * DAY),
      lastSyncDateTime: iso(now - 2 * 60 * 60 * 1000),
      managedDeviceOwnerType: 'company',
      ownerType: 'company',
      complianceState: 'compliant',
      managementAgent: 'mdm',
      managementState: 'managed',
      joinType: 'unknown',
      ...props,
    },
    note,
    ...extra,
  });
  const notSupported = { resetScript: { outcome: 'notSupported', activeAfterMs: 2_000, finalAfterMs: 10_000 } } as const;
  return [
    make('windowsMobileAadJoined', 'WM10-CORP-0001', windowsMobile('10.0.15063.297', true), 'Windows 10 Mobile, Creators Update, Azure AD joined: the seed rule allows it'),
    make('windowsMobileOldBuild', 'WM10-CORP-0002', windowsMobile('10.0.14393.1066', true), 'Windows 10 Mobile before the Creators Update (10.0.14393)', notSupported),
    make('windowsMobileNotAadJoined', 'WM10-BYOD-0003', { ...windowsMobile('10.0.15254.1', false), managedDeviceOwnerType: 'personal', ownerType: 'personal' }, 'Windows 10 Mobile, not Azure AD joined', notSupported),
    make('windowsDesktop', 'DESKTOP-7QK2M', { operatingSystem: 'Windows', osVersion: '10.0.22631.4037', model: 'Surface Laptop 5', manufacturer: 'Microsoft', deviceType: 'desktop', joinType: 'azureADJoined', deviceEnrollmentType: 'windowsAzureADJoin' }, 'Windows 11 desktop, Entra joined: no reset passcode action; the user resets the Windows Hello PIN at the sign-in screen', notSupported),
    make('iosSupervised', 'CORP-IPHONE-0042', { operatingSystem: 'iOS', osVersion: '17.5.1', model: 'iPhone 15', manufacturer: 'Apple', deviceType: 'iPhone', isSupervised: true, deviceEnrollmentType: 'appleBulkWithUser', azureADRegistered: true, joinType: 'azureADRegistered' }, 'iOS, supervised: "Remove passcode"'),
    make('iosUnsupervised', "Anna's iPhone", { operatingSystem: 'iOS', osVersion: '17.4', model: 'iPhone 14', manufacturer: 'Apple', deviceType: 'iPhone', isSupervised: false, deviceEnrollmentType: 'userEnrollment', managedDeviceOwnerType: 'personal', ownerType: 'personal', joinType: 'azureADRegistered' }, 'iOS, not supervised; its name has a single quote'),
    make('ipadosUnsupervised', 'MEETING-IPAD-07', { operatingSystem: 'iPadOS', osVersion: '17.5', model: 'iPad Air', manufacturer: 'Apple', deviceType: 'iPad', isSupervised: false, deviceEnrollmentType: 'deviceEnrollmentManager' }, 'iPadOS, not supervised'),
    make('macos', 'MAC-DESIGN-11', { operatingSystem: 'macOS', osVersion: '14.5', model: 'MacBook Pro', manufacturer: 'Apple', deviceType: 'macMDM', deviceEnrollmentType: 'appleBulkWithUser' }, 'macOS: no reset passcode action', notSupported),
    make('androidDedicated', 'KIOSK-LOBBY-01', androidEnterprise('androidEnterprise', 'androidEnterpriseDedicatedDevice', 'company'), 'Android Enterprise dedicated (COSU): device passcode'),
    make('androidFullyManaged', 'AE-FM-0100', androidEnterprise('androidEnterprise', 'androidEnterpriseFullyManaged', 'company'), 'Android Enterprise fully managed (Device Owner): device passcode'),
    make('androidCorporateWorkProfile', 'AE-COPE-0200', androidEnterprise('androidEnterprise', 'androidEnterpriseCorporateWorkProfile', 'company'), 'Android Enterprise corporate-owned work profile'),
    make('androidPersonalWorkProfile', 'AE-BYOD-0300', androidEnterprise('androidForWork', 'userEnrollment', 'personal'), 'Android Enterprise personally-owned work profile (enrollment type value not documented)'),
    make('androidAosp', 'AOSP-HEADSET-01', { ...androidEnterprise('androidnGMS', 'androidAOSPUserlessDeviceEnrollment', 'company'), manufacturer: 'RealWear', model: 'Navigator 520', osVersion: '12' }, 'Android (AOSP) userless: device passcode'),
    make('retirePending', 'AE-FM-0101', { ...androidEnterprise('androidEnterprise', 'androidEnterpriseFullyManaged', 'company'), managementState: 'retirePending' }, 'retire pending'),
    make('wipePending', 'AE-FM-0102', { ...androidEnterprise('androidEnterprise', 'androidEnterpriseFullyManaged', 'company'), managementState: 'wipePending' }, 'wipe pending'),
    make('notSyncedForMonths', 'AE-FM-0103', { ...androidEnterprise('androidEnterprise', 'androidEnterpriseFullyManaged', 'company'), lastSyncDateTime: iso(now - 150 * DAY), complianceState: 'noncompliant' }, 'last synced about five months ago'),
    make('sharedNameFirst', SHARED_DEVICE_NAME, androidEnterprise('androidEnterprise', 'androidEnterpriseDedicatedDevice', 'company'), 'shares its name with another device'),
    make('sharedNameSecond', SHARED_DEVICE_NAME, androidEnterprise('androidEnterprise', 'androidEnterpriseDedicatedDevice', 'company'), 'shares its name with another device'),
    make('androidNoPasscodePolicy', 'AE-FM-0104', androidEnterprise('androidEnterprise', 'androidEnterpriseFullyManaged', 'company'), 'no passcode policy assigned: the reset fails', {
      resetScript: { outcome: 'failed', activeAfterMs: 2_000, finalAfterMs: 15_000, errorCode: 1 },
    }),
  ];
}

/** The PIN Reset service principals present in the tenant for a given choice. */
export function pinResetServicePrincipals(choice: PinResetServicePrincipals): SandboxTenantState['servicePrincipals'] {
  const sp = (appId: string, displayName: string, n: number): ServicePrincipal & { id: string; appId: string } => ({
    id: `e0000000-0000-4000-8000-${n.toString().padStart(12, '0')}`,
    appId,
    displayName,
    accountEnabled: true,
    servicePrincipalType: 'Application',
    appOwnerOrganizationId: 'f8cdef31-a31e-4b4a-93e4-5f571e91255a',
  });
  const service = sp(PIN_RESET_SERVICE_APP_ID, 'Microsoft Pin Reset Service Production', 1);
  const client = sp(PIN_RESET_CLIENT_APP_ID, 'Microsoft Pin Reset Client Production', 2);
  const graph = sp('00000003-0000-0000-c000-000000000000', 'Microsoft Graph', 3);
  const chosen = { both: [service, client], serviceOnly: [service], clientOnly: [client], none: [] }[choice];
  return [graph, ...chosen];
}

/** A complete fixture tenant: the devices, the product's app, and the chosen prerequisites (default: all in place). */
export function createFixtureTenant(options: FixtureTenantOptions = {}): SandboxTenantState {
  const tenantId = options.tenantId ?? SANDBOX_TENANT_ID;
  const app: SandboxApp = {
    clientId: options.clientId ?? SANDBOX_CLIENT_ID,
    clientSecret: options.clientSecret ?? 'sandbox-client-secret-not-for-production',
    displayName: 'Intune Passcode Reset (sandbox)',
    roles: [...(options.roles ?? PRODUCT_ROLES)],
  };
  return {
    tenantId,
    apps: [app],
    devices: fixtureDevices(options.now),
    servicePrincipals: pinResetServicePrincipals(options.pinResetServicePrincipals ?? 'both'),
    deviceConfigurations: prerequisiteConfigurations(tenantId, options.pinRecoveryProfile ?? 'assigned', options.pinRecoverySource),
    configurationPolicies: prerequisitePolicies(options.pinRecoveryProfile ?? 'assigned', options.pinRecoverySource),
    mailboxes: [...FIXTURE_MAILBOXES],
  };
}

/** The users with a mailbox in the fixture tenant: the product's sender, the operations mailbox, people. */
export const FIXTURE_MAILBOXES: readonly string[] = ['resetpc@contoso.com', 'it-ops@contoso.com', 'helpdesk@contoso.com', 'anna@contoso.com', 'mia.manager@contoso.com'];
