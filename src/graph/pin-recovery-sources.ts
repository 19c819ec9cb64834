/**
 * Where PIN recovery (PassportForWork EnablePinRecovery) is set, read from Graph's objects. Pure: the reads are in
 * tenant-checks.ts. Four places (Learn, PIN reset, "Enable PIN recovery on the clients"):
 * - a Settings catalog policy (beta `deviceManagementConfigurationPolicy`): a choice setting
 *   `device_vendor_msft_passportforwork_{tenantid}_policies_enablepinrecovery` (or its `user_` twin) whose value is
 *   `…_true`, usually a child of the `…_passportforwork_{tenantid}` group collection;
 * - an endpoint security Account protection policy: a configuration policy too, whose `templateReference.templateFamily`
 *   is `endpointSecurityAccountProtection`, with the same setting;
 * - an Identity protection profile (beta `windowsIdentityProtectionConfiguration`): `pinRecoveryEnabled: true`;
 * - a custom profile (`windows10CustomConfiguration`): an OMA setting whose `omaUri` ends in
 *   `/Policies/EnablePinRecovery` (Device and User scopes, any case) with the boolean value true.
 * A policy counts only when it is assigned: an assignment that only excludes a group does not count.
 */
import type { PinRecoverySource } from './facts';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const typeOf = (value: Record<string, unknown>): string => (typeof value['@odata.type'] === 'string' ? value['@odata.type'].toLowerCase() : '');

const CUSTOM_CONFIGURATION = '#microsoft.graph.windows10customconfiguration';
const IDENTITY_PROTECTION = '#microsoft.graph.windowsidentityprotectionconfiguration';
const PIN_RECOVERY_OMA_SUFFIX = '/policies/enablepinrecovery';

/** The place a device configuration sets PIN recovery in (custom profile or Identity protection), or undefined. */
export function deviceConfigurationSource(configuration: unknown): Extract<PinRecoverySource, 'custom_profile' | 'identity_protection'> | undefined {
  if (!isRecord(configuration) || typeof configuration.id !== 'string') return undefined;
  const type = typeOf(configuration);
  if (type === IDENTITY_PROTECTION) return configuration.pinRecoveryEnabled === true ? 'identity_protection' : undefined;
  if (type !== CUSTOM_CONFIGURATION) return undefined;
  const settings = Array.isArray(configuration.omaSettings) ? (configuration.omaSettings as unknown[]) : [];
  const sets = settings.some((s) => isRecord(s) && typeof s.omaUri === 'string' && s.omaUri.trim().toLowerCase().endsWith(PIN_RECOVERY_OMA_SUFFIX) && s.value === true);
  return sets ? 'custom_profile' : undefined;
}

/** True for a configuration policy that may apply to Windows (its `platforms` names windows10, or is not given). */
export function isWindowsPolicy(policy: unknown): policy is { id: string } {
  if (!isRecord(policy) || typeof policy.id !== 'string') return false;
  return typeof policy.platforms !== 'string' || policy.platforms.toLowerCase().includes('windows10');
}

/** Account protection when the policy comes from that endpoint security template; the Settings catalog otherwise. */
export function configurationPolicySource(policy: unknown): Extract<PinRecoverySource, 'settings_catalog' | 'account_protection'> {
  const template = isRecord(policy) && isRecord(policy.templateReference) ? policy.templateReference.templateFamily : undefined;
  return typeof template === 'string' && template.toLowerCase() === 'endpointsecurityaccountprotection' ? 'account_protection' : 'settings_catalog';
}

const PASSPORT_PREFIX = /^(device|user)_vendor_msft_passportforwork_/;
const ENABLE_PIN_RECOVERY = '_policies_enablepinrecovery';
/** Setting instances nest (group collections, choice children); past this depth the rest is not looked at. */
const MAX_DEPTH = 12;

/** True when this setting instance, or one nested in it, sets EnablePinRecovery to `…_true`. */
function instanceSetsPinRecovery(node: unknown, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(node)) return node.some((item) => instanceSetsPinRecovery(item, depth + 1));
  if (!isRecord(node)) return false;
  const id = typeof node.settingDefinitionId === 'string' ? node.settingDefinitionId.toLowerCase() : '';
  if (PASSPORT_PREFIX.test(id) && id.endsWith(ENABLE_PIN_RECOVERY)) {
    const choice = isRecord(node.choiceSettingValue) ? node.choiceSettingValue.value : undefined;
    if (typeof choice === 'string' && choice.toLowerCase() === `${id}_true`) return true;
  }
  return Object.entries(node).some(([key, value]) => key !== 'settingDefinitionId' && typeof value === 'object' && instanceSetsPinRecovery(value, depth + 1));
}

/** True when one of a policy's settings (GET …/configurationPolicies/{id}/settings values) turns PIN recovery on. */
export function settingsSetPinRecovery(settings: readonly unknown[]): boolean {
  return settings.some((setting) => isRecord(setting) && instanceSetsPinRecovery(setting.settingInstance, 0));
}

const EXCLUSION_TARGET = '#microsoft.graph.exclusiongroupassignmenttarget';

/** True when one of the assignments targets someone (an exclusion alone assigns the policy to no one). */
export function isAssigned(assignments: readonly unknown[]): boolean {
  return assignments.some((a) => isRecord(a) && !(isRecord(a.target) && typeOf(a.target) === EXCLUSION_TARGET));
}
