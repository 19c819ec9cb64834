/**
 * What the gateway hands the workflow, mapped field by field from Graph's objects so nothing else (above all, a
 * passcode) can ride along: the device facts eligibility reads, and the resetPasscode action results.
 * DeviceFacts and TenantFacts are the domain's (src/domain/eligibility.ts, tenant-facts.ts); re-exported for the gateway's
 * callers.
 */
import type { DeviceFacts } from '../domain/eligibility';

export type { DeviceFacts, TenantFacts } from '../domain/eligibility';
export type { Finding, NotVerified, PinRecoveryFacts, PinRecoverySource, PinResetApps } from '../domain/tenant-facts';

/** One resetPasscode deviceActionResult. Never a passcode. */
export interface ActionResult {
  readonly actionName: string;
  readonly actionState: string;
  readonly startDateTime?: string;
  readonly lastUpdatedDateTime?: string;
  readonly errorCode?: number;
}

/** The managedDevice properties the gateway selects (beta: deviceType, joinType and ownerType are beta-only). */
export const DEVICE_FACT_FIELDS = [
  'id',
  'deviceName',
  'operatingSystem',
  'osVersion',
  'deviceType',
  'joinType',
  'deviceEnrollmentType',
  'managementAgent',
  'managementState',
  'ownerType',
  'isSupervised',
  'lastSyncDateTime',
  'azureADDeviceId',
  'serialNumber',
  'userPrincipalName',
] as const;

type OptionalStringField = Exclude<(typeof DEVICE_FACT_FIELDS)[number], 'id' | 'deviceName' | 'operatingSystem' | 'osVersion' | 'isSupervised'>;
const OPTIONAL_STRINGS: readonly OptionalStringField[] = DEVICE_FACT_FIELDS.filter(
  (f): f is OptionalStringField => !['id', 'deviceName', 'operatingSystem', 'osVersion', 'isSupervised'].includes(f),
);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** A managedDevice (as JSON) → DeviceFacts. Required strings Graph leaves null become '' (eligibility refuses them). */
export function toDeviceFacts(raw: unknown, fallbackId = ''): DeviceFacts {
  const device = isRecord(raw) ? raw : {};
  const facts: { -readonly [K in keyof DeviceFacts]: DeviceFacts[K] } = {
    id: text(device.id) ?? fallbackId,
    deviceName: text(device.deviceName) ?? '',
    operatingSystem: text(device.operatingSystem) ?? '',
    osVersion: text(device.osVersion) ?? '',
  };
  for (const field of OPTIONAL_STRINGS) {
    const value = text(device[field]);
    if (value !== undefined) facts[field] = value;
  }
  if (typeof device.isSupervised === 'boolean') facts.isSupervised = device.isSupervised;
  return facts;
}

/**
 * The resetPasscode entries of `deviceActionResults` (actionName compared case-insensitively, DOMAIN.md §2), newest
 * start first. Only the five ActionResult fields are copied.
 */
export function toResetActionResults(raw: unknown): ActionResult[] {
  const list = isRecord(raw) && Array.isArray(raw.deviceActionResults) ? (raw.deviceActionResults as unknown[]) : [];
  const results: ActionResult[] = [];
  for (const entry of list) {
    if (!isRecord(entry)) continue;
    const actionName = text(entry.actionName);
    if (actionName?.toLowerCase() !== 'resetpasscode') continue;
    const startDateTime = text(entry.startDateTime);
    const lastUpdatedDateTime = text(entry.lastUpdatedDateTime);
    const errorCode = typeof entry.errorCode === 'number' ? entry.errorCode : undefined;
    results.push({
      actionName,
      actionState: text(entry.actionState) ?? 'none',
      ...(startDateTime === undefined ? {} : { startDateTime }),
      ...(lastUpdatedDateTime === undefined ? {} : { lastUpdatedDateTime }),
      ...(errorCode === undefined ? {} : { errorCode }),
    });
  }
  const started = (r: ActionResult): number => (r.startDateTime === undefined ? 0 : Date.parse(r.startDateTime) || 0);
  return results.sort((a, b) => started(b) - started(a));
}
