/**
 * The tenant prerequisites of Windows Hello for Business PIN reset, as the tenant checks found them (DOMAIN.md §1, §2;
 * learn.microsoft.com/windows/security/identity-protection/hello-for-business/pin-reset). The same prerequisites
 * served the retired Windows 10 Mobile "Reset passcode"; today they power "I forgot my PIN" at the Windows sign-in
 * screen, so both the Windows 10 Mobile rule and the Windows desktop self-service verdict read them.
 *
 * A source the checks could not read (a 403, or a list cut short) is `not_verified`, never `absent`: only a source
 * that was read in full can prove that something is missing. Pure data and words; the reads are in src/graph.
 */

/** What a check found: present, proven absent, or not verified (the source could not be read). */
export type Finding = 'present' | 'absent' | 'not_verified';

/** The four places PIN recovery (PassportForWork EnablePinRecovery) can be set in Intune. */
export type PinRecoverySource = 'settings_catalog' | 'account_protection' | 'identity_protection' | 'custom_profile';

export const PIN_RECOVERY_SOURCES: readonly PinRecoverySource[] = ['settings_catalog', 'account_protection', 'identity_protection', 'custom_profile'];

/** What an administrator calls each place, for messages. */
export const PIN_RECOVERY_SOURCE_NAMES: Readonly<Record<PinRecoverySource, string>> = {
  settings_catalog: 'a Settings catalog policy',
  account_protection: 'an endpoint security Account protection policy',
  identity_protection: 'an Identity protection profile',
  custom_profile: 'a custom OMA-URI profile',
};

export interface NotVerified {
  readonly source: PinRecoverySource;
  /** Why it could not be read, e.g. "the app lacks DeviceManagementConfiguration.Read.All". */
  readonly why: string;
}

export interface PinRecoveryFacts {
  /** The places where a policy that sets EnablePinRecovery to true is assigned. */
  readonly assigned: readonly PinRecoverySource[];
  /** The places where such a policy exists but is assigned to no one. */
  readonly unassigned: readonly PinRecoverySource[];
  /** The places that could not be read. */
  readonly notVerified: readonly NotVerified[];
}

export interface PinResetApps {
  /** Microsoft Pin Reset Service Production (b8456c59-1230-44c7-a4a2-99b085333e84). */
  readonly service: Finding;
  /** Microsoft Pin Reset Client Production (9115dd05-fad5-4f9c-acc7-305d08b1b04e). */
  readonly client: Finding;
  /** Set when either is not verified: why. */
  readonly why?: string;
}

/** The tenant checks' findings (src/graph/tenant-checks.ts), cached in Redis. */
export interface TenantFacts {
  readonly pinResetApps: PinResetApps;
  readonly pinRecovery: PinRecoveryFacts;
}

/**
 * One word for the PIN recovery findings: `assigned` when any place sets it and is assigned; otherwise
 * `not_verified` when a place could not be read (it might be set there); otherwise `unassigned` when it is set
 * somewhere but assigned nowhere; otherwise `absent` (every place was read, and none sets it).
 */
export type PinRecoveryStatus = 'assigned' | 'unassigned' | 'absent' | 'not_verified';

export function pinRecoveryStatus(facts: PinRecoveryFacts): PinRecoveryStatus {
  if (facts.assigned.length > 0) return 'assigned';
  if (facts.notVerified.length > 0) return 'not_verified';
  return facts.unassigned.length > 0 ? 'unassigned' : 'absent';
}

/** The Microsoft Pin Reset apps, by name and app id. */
export const PIN_RESET_APP_NAMES = {
  service: 'Microsoft Pin Reset Service (b8456c59-1230-44c7-a4a2-99b085333e84)',
  client: 'Microsoft Pin Reset Client (9115dd05-fad5-4f9c-acc7-305d08b1b04e)',
} as const;

/** The apps with the given finding, by name. */
export function pinResetAppsWith(apps: PinResetApps, finding: Finding): string[] {
  return (['service', 'client'] as const).filter((app) => apps[app] === finding).map((app) => PIN_RESET_APP_NAMES[app]);
}

const list = (items: readonly string[]): string => (items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1) ?? ''}`);

/** "a Settings catalog policy and a custom OMA-URI profile". */
export function describeSources(sources: readonly PinRecoverySource[]): string {
  return list(sources.map((s) => PIN_RECOVERY_SOURCE_NAMES[s]));
}

/** "Settings catalog and Account protection policies (the app lacks …)", grouped by reason. */
export function describeNotVerified(notVerified: readonly NotVerified[]): string {
  const byWhy = new Map<string, PinRecoverySource[]>();
  for (const { source, why } of notVerified) byWhy.set(why, [...(byWhy.get(why) ?? []), source]);
  return [...byWhy].map(([why, sources]) => `${describeSources(sources)} (${why})`).join('; ');
}

/** What is not verified about the prerequisites, as a sentence, or undefined when everything was read. */
export function notVerifiedSentence(tenant: TenantFacts): string | undefined {
  const parts: string[] = [];
  const apps = pinResetAppsWith(tenant.pinResetApps, 'not_verified');
  if (apps.length > 0) parts.push(`the consent to ${list(apps)} (${tenant.pinResetApps.why ?? 'could not be read'})`);
  if (pinRecoveryStatus(tenant.pinRecovery) === 'not_verified') parts.push(`whether PIN recovery is set in ${describeNotVerified(tenant.pinRecovery.notVerified)}`);
  return parts.length === 0 ? undefined : `Not verified: ${parts.join('; and ')}.`;
}
