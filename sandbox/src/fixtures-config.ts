/**
 * The Windows Hello PIN reset prerequisite "PIN recovery" (PassportForWork EnablePinRecovery), set in one of the four
 * places Intune offers (Learn, PIN reset, "Enable PIN recovery on the clients"): a custom OMA-URI profile (the
 * default), a Settings catalog policy, an endpoint security Account protection policy, or an Identity protection
 * profile; assigned, unassigned or missing, among unrelated profiles and policies the product must skip (one of
 * them a Settings catalog policy that sets Enable Pin Recovery to false, assigned to every device).
 */
import type {
  DeviceConfigurationAssignment,
  OmaSettingBoolean,
  OmaSettingInteger,
  Windows10CustomConfiguration,
  Windows10GeneralConfiguration,
} from '@microsoft/microsoft-graph-types';
import type { ConfigurationPolicySeed, ConfigurationSeed, SandboxDeviceConfiguration } from './tenant';

export type PinRecoveryProfile = 'assigned' | 'unassigned' | 'missing';

/** Where the fixture sets PIN recovery. */
export type PinRecoverySourceKind = 'custom_profile' | 'settings_catalog' | 'account_protection' | 'identity_protection';

export const PIN_RECOVERY_OMA_URI_SUFFIX = '/Policies/EnablePinRecovery';

export const FIXTURE_CONFIGURATIONS = {
  windowsBaseline: 'c0000000-0000-4000-8000-000000000001',
  unrelatedCustom: 'c0000000-0000-4000-8000-000000000002',
  /** The custom OMA-URI profile (source `custom_profile`). */
  pinRecovery: 'c0000000-0000-4000-8000-000000000003',
  /** The Identity protection profile (source `identity_protection`). */
  identityProtection: 'c0000000-0000-4000-8000-000000000004',
  /** A Settings catalog policy with Windows Hello settings and Enable Pin Recovery = false, assigned: never counts. */
  helloWithoutRecovery: 'c1000000-0000-4000-8000-000000000001',
  /** The Settings catalog policy (source `settings_catalog`). */
  settingsCatalog: 'c1000000-0000-4000-8000-000000000002',
  /** The endpoint security Account protection policy (source `account_protection`). */
  accountProtection: 'c1000000-0000-4000-8000-000000000003',
} as const;

const ALL_DEVICES_GROUP = 'b0000000-0000-4000-8000-000000000001';

function groupAssignment(configId: string, groupId: string): DeviceConfigurationAssignment {
  const target = { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId };
  return { id: `${configId}_${groupId}`, target };
}

const at = '2024-01-15T09:30:00Z';

/** The device configurations (custom and Identity protection profiles), with PIN recovery set in `source` as `profile` says. */
export function prerequisiteConfigurations(tenantId: string, profile: PinRecoveryProfile, source: PinRecoverySourceKind = 'custom_profile'): ConfigurationSeed[] {
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
  const assignments = (id: string): DeviceConfigurationAssignment[] => (profile === 'assigned' ? [groupAssignment(id, ALL_DEVICES_GROUP)] : []);
  if (source === 'identity_protection') {
    const identity: SandboxDeviceConfiguration & { windowsHelloForBusinessBlocked: boolean; pinRecoveryEnabled: boolean; useSecurityKeyForSignin: boolean } = {
      '@odata.type': '#microsoft.graph.windowsIdentityProtectionConfiguration',
      id: FIXTURE_CONFIGURATIONS.identityProtection,
      displayName: 'Windows Hello for Business (Identity protection)',
      createdDateTime: at,
      lastModifiedDateTime: at,
      version: 2,
      windowsHelloForBusinessBlocked: false,
      pinRecoveryEnabled: true,
      useSecurityKeyForSignin: false,
    };
    seeds.push({ configuration: identity, assignments: assignments(identity.id) });
    return seeds;
  }
  if (source !== 'custom_profile') return seeds;

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
  seeds.push({ configuration: pinRecovery, assignments: assignments(pinRecovery.id) });
  return seeds;
}

const PASSPORT = 'vendor_msft_passportforwork_{tenantid}';

/** A choice setting instance: `<definition>` set to `<definition>_<value>`. */
function choice(definitionId: string, value: string): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance',
    settingDefinitionId: definitionId,
    settingInstanceTemplateReference: null,
    choiceSettingValue: { '@odata.type': '#microsoft.graph.deviceManagementConfigurationChoiceSettingValue', settingValueTemplateReference: null, value: `${definitionId}_${value}`, children: [] },
  };
}

/** The Windows Hello for Business group collection (scope `device` or `user`), as the Settings catalog stores it. */
function helloSettings(scope: 'device' | 'user', enablePinRecovery: boolean): ConfigurationPolicySeed['settings'] {
  const root = `${scope}_${PASSPORT}`;
  return [
    {
      id: '0',
      settingInstance: {
        '@odata.type': '#microsoft.graph.deviceManagementConfigurationGroupSettingCollectionInstance',
        settingDefinitionId: root,
        settingInstanceTemplateReference: null,
        groupSettingCollectionValue: [
          {
            settingValueTemplateReference: null,
            children: [choice(`${root}_policies_usepassportforwork`, 'true'), choice(`${root}_policies_enablepinrecovery`, String(enablePinRecovery))],
          },
        ],
      },
    },
  ];
}

function policyAssignment(policyId: string): ConfigurationPolicySeed['assignments'][number] {
  return { id: `${policyId}_${ALL_DEVICES_GROUP}`, source: 'direct', sourceId: policyId, target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: ALL_DEVICES_GROUP } };
}

function configurationPolicy(id: string, name: string, templateFamily: string): ConfigurationPolicySeed['policy'] {
  return {
    id,
    name,
    description: '',
    platforms: 'windows10',
    technologies: 'mdm',
    createdDateTime: at,
    lastModifiedDateTime: at,
    settingCount: 1,
    roleScopeTagIds: ['0'],
    templateReference:
      templateFamily === 'none'
        ? { templateId: '', templateFamily, templateDisplayName: null, templateDisplayVersion: null }
        : { templateId: 'sandbox-account-protection-template_1', templateFamily, templateDisplayName: 'Account protection', templateDisplayVersion: 'Version 1' },
  };
}

/**
 * The Settings catalog and endpoint security policies: always the assigned Windows Hello policy that leaves PIN
 * recovery off; and PIN recovery turned on in `source` (Settings catalog: the device setting; Account protection: the
 * `user_` twin) as `profile` says.
 */
export function prerequisitePolicies(profile: PinRecoveryProfile, source: PinRecoverySourceKind = 'custom_profile'): ConfigurationPolicySeed[] {
  const without = FIXTURE_CONFIGURATIONS.helloWithoutRecovery;
  const seeds: ConfigurationPolicySeed[] = [
    { policy: configurationPolicy(without, 'Windows Hello for Business (no PIN recovery)', 'none'), settings: helloSettings('device', false), assignments: [policyAssignment(without)] },
  ];
  if (profile === 'missing' || (source !== 'settings_catalog' && source !== 'account_protection')) return seeds;
  const id = source === 'settings_catalog' ? FIXTURE_CONFIGURATIONS.settingsCatalog : FIXTURE_CONFIGURATIONS.accountProtection;
  const policy =
    source === 'settings_catalog'
      ? configurationPolicy(id, 'Windows Hello PIN recovery (Settings catalog)', 'none')
      : configurationPolicy(id, 'Account protection: Windows Hello PIN recovery', 'endpointSecurityAccountProtection');
  seeds.push({ policy, settings: helloSettings(source === 'settings_catalog' ? 'device' : 'user', true), assignments: profile === 'assigned' ? [policyAssignment(id)] : [] });
  return seeds;
}
