/**
 * Device configurations for the Windows 10 Mobile tenant prerequisite: the EnablePinRecovery custom profile
 * (PassportForWork CSP) assigned, unassigned or missing, among unrelated profiles the product must skip.
 */
import type {
  DeviceConfigurationAssignment,
  OmaSettingBoolean,
  OmaSettingInteger,
  Windows10CustomConfiguration,
  Windows10GeneralConfiguration,
} from '@microsoft/microsoft-graph-types';
import type { ConfigurationSeed } from './tenant';

export type PinRecoveryProfile = 'assigned' | 'unassigned' | 'missing';

export const PIN_RECOVERY_OMA_URI_SUFFIX = '/Policies/EnablePinRecovery';

export const FIXTURE_CONFIGURATIONS = {
  windowsBaseline: 'c0000000-0000-4000-8000-000000000001',
  unrelatedCustom: 'c0000000-0000-4000-8000-000000000002',
  pinRecovery: 'c0000000-0000-4000-8000-000000000003',
} as const;

const ALL_DEVICES_GROUP = 'b0000000-0000-4000-8000-000000000001';

function groupAssignment(configId: string, groupId: string): DeviceConfigurationAssignment {
  const target = { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId };
  return { id: `${configId}_${groupId}`, target };
}

const at = '2024-01-15T09:30:00Z';

export function prerequisiteConfigurations(tenantId: string, profile: PinRecoveryProfile): ConfigurationSeed[] {
  const baseline: Windows10GeneralConfiguration & { '@odata.type': string; id: string } = {
    '@odata.type': '#microsoft.graph.windows10GeneralConfiguration',
    id: FIXTURE_CONFIGURATIONS.windowsBaseline,
    displayName: 'Windows baseline restrictions',
    createdDateTime: at,
    lastModifiedDateTime: at,
    version: 3,
  };
  const minLength: OmaSettingInteger & { '@odata.type': string } = {
    '@odata.type': '#microsoft.graph.omaSettingInteger',
    displayName: 'Minimum PIN length',
    omaUri: './Device/Vendor/MSFT/Policy/Config/DeviceLock/MinDevicePasswordLength',
    value: 6,
  };
  const unrelated: Windows10CustomConfiguration & { '@odata.type': string; id: string } = {
    '@odata.type': '#microsoft.graph.windows10CustomConfiguration',
    id: FIXTURE_CONFIGURATIONS.unrelatedCustom,
    displayName: 'Device lock (custom)',
    createdDateTime: at,
    lastModifiedDateTime: at,
    version: 1,
    omaSettings: [minLength],
  };
  const seeds: ConfigurationSeed[] = [
    { configuration: baseline, assignments: [groupAssignment(baseline.id, ALL_DEVICES_GROUP)] },
    { configuration: unrelated, assignments: [groupAssignment(unrelated.id, ALL_DEVICES_GROUP)] },
  ];
  if (profile === 'missing') return seeds;

  const enable: OmaSettingBoolean & { '@odata.type': string } = {
    '@odata.type': '#microsoft.graph.omaSettingBoolean',
    displayName: 'EnablePinRecovery',
    omaUri: `./Device/Vendor/MSFT/PassportForWork/${tenantId}${PIN_RECOVERY_OMA_URI_SUFFIX}`,
    value: true,
  };
  const pinRecovery: Windows10CustomConfiguration & { '@odata.type': string; id: string } = {
    '@odata.type': '#microsoft.graph.windows10CustomConfiguration',
    id: FIXTURE_CONFIGURATIONS.pinRecovery,
    displayName: 'Windows Hello PIN recovery',
    createdDateTime: at,
    lastModifiedDateTime: at,
    version: 1,
    omaSettings: [enable],
  };
  seeds.push({ configuration: pinRecovery, assignments: profile === 'assigned' ? [groupAssignment(pinRecovery.id, ALL_DEVICES_GROUP)] : [] });
  return seeds;
}
