/**
 * How a stored device is served: v1.0 shows only v1.0 properties (beta-only enum values become
 * `unknownFutureValue`, as Graph does for evolvable enums); beta shows everything.
 */
import { serveAction } from '../actions';
import type { SandboxControl } from '../control';
import type { DeviceSeed } from '../tenant';
import type { GraphVersion } from './route';

/** managedDevice properties in v1.0 (@microsoft/microsoft-graph-types, plus managementState). */
const V1_PROPERTIES = [
  'id', 'activationLockBypassCode', 'androidSecurityPatchLevel', 'azureADDeviceId', 'azureADRegistered',
  'complianceGracePeriodExpirationDateTime', 'complianceState', 'configurationManagerClientEnabledFeatures',
  'deviceActionResults', 'deviceCategoryDisplayName', 'deviceEnrollmentType', 'deviceHealthAttestationState',
  'deviceName', 'deviceRegistrationState', 'easActivated', 'easActivationDateTime', 'easDeviceId', 'emailAddress',
  'enrolledDateTime', 'enrollmentProfileName', 'ethernetMacAddress', 'exchangeAccessState', 'exchangeAccessStateReason',
  'exchangeLastSuccessfulSyncDateTime', 'freeStorageSpaceInBytes', 'iccid', 'imei', 'isEncrypted', 'isSupervised',
  'jailBroken', 'lastSyncDateTime', 'managedDeviceName', 'managedDeviceOwnerType', 'managementAgent',
  'managementCertificateExpirationDate', 'managementState', 'manufacturer', 'meid', 'model', 'notes', 'operatingSystem',
  'osVersion', 'partnerReportedThreatState', 'phoneNumber', 'physicalMemoryInBytes', 'remoteAssistanceSessionErrorDetails',
  'remoteAssistanceSessionUrl', 'requireUserEnrollmentApproval', 'serialNumber', 'subscriberCarrier',
  'totalStorageSpaceInBytes', 'udid', 'userDisplayName', 'userId', 'userPrincipalName', 'wiFiMacAddress',
] as const;

const BETA_ONLY_PROPERTIES = ['deviceType', 'joinType', 'ownerType'] as const;

export const DEVICE_PROPERTIES: Readonly<Record<GraphVersion, ReadonlySet<string>>> = {
  'v1.0': new Set(V1_PROPERTIES),
  beta: new Set([...V1_PROPERTIES, ...BETA_ONLY_PROPERTIES]),
};

const BETA_ONLY_ENROLLMENT_TYPES: ReadonlySet<string> = new Set([
  'androidEnterpriseDedicatedDevice',
  'androidEnterpriseFullyManaged',
  'androidEnterpriseCorporateWorkProfile',
  'androidAOSPUserOwnedDeviceEnrollment',
  'androidAOSPUserlessDeviceEnrollment',
]);

/** The device as `version` serves it, with its action results computed at the sandbox's now. */
export function serveDevice(seed: DeviceSeed, control: SandboxControl, version: GraphVersion): Record<string, unknown> {
  const now = control.clock.now();
  const known = DEVICE_PROPERTIES[version];
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(seed.device)) {
    if (known.has(key)) out[key] = value;
  }
  if (version === 'v1.0' && typeof out.deviceEnrollmentType === 'string' && BETA_ONLY_ENROLLMENT_TYPES.has(out.deviceEnrollmentType)) {
    out.deviceEnrollmentType = 'unknownFutureValue';
  }
  out.deviceActionResults = control.deviceActions(seed.device.id).map((a) => serveAction(a, now));
  return out;
}
