/**
 * How the simulated Intune applies `$filter=<property> eq '<value>'` to managedDevices. Microsoft does not document
 * which managedDevice properties can be filtered on, and Intune does not refuse the others: it **ignores** the filter
 * and answers every device, with no error. Public reports:
 * - microsoft-graph-docs-contrib#235: `deviceEnrollmentType eq '…'` is ignored ("it does not return a bad request");
 * - microsoft-graph-explorer-v4#3125: `userId eq '…'` returns every device; `operatingSystem` filters work;
 * - microsoft-graph-docs#16027: `skuFamily eq '…'` returns every device;
 * - microsoft-graph-docs-contrib#1391: `userPrincipalName eq ''` returns every device;
 * - microsoft/Intune-PowerShell-SDK#39: `userPrincipalName eq '…'` also returns devices whose UPN merely contains it;
 * - microsoft-graph-docs#11809: `startswith` acts like "contains" (not parsed here: the product never sends it).
 * `emailAddress eq` is used by integrations that work (rapid7/insightconnect-plugins#705).
 *
 * So the sandbox applies an `eq` only on HONOURED_DEVICE_FILTERS and answers every device for any other property of
 * the managedDevice model, and for `eq ''`. Whether Intune applies `deviceName`, `serialNumber` and `azureADDeviceId`
 * is not documented either: the control's `ignored` list makes the sandbox ignore those too, so tests can show the
 * product is right either way (docs/sandbox.md, "Uncertain").
 */
import type { DeviceSeed } from '../tenant';

/** The properties whose `eq` the simulated Intune applies, unless a test says it ignores them. */
export const HONOURED_DEVICE_FILTERS = ['deviceName', 'serialNumber', 'azureADDeviceId', 'operatingSystem', 'emailAddress', 'userPrincipalName'] as const;

export interface DeviceFilterRules {
  /** Properties whose `eq` is ignored (200, every device), besides every property not in HONOURED_DEVICE_FILTERS. */
  readonly ignored: readonly string[];
  /** Honoured properties whose `eq` matches as "contains", as Intune-PowerShell-SDK#39 reports for userPrincipalName. */
  readonly contains: readonly string[];
}

export const DEFAULT_DEVICE_FILTER_RULES: DeviceFilterRules = { ignored: [], contains: ['userPrincipalName'] };

const HONOURED: ReadonlySet<string> = new Set(HONOURED_DEVICE_FILTERS);

/** True when the simulated Intune applies `property eq value`; false when it answers every device instead. */
export function appliesDeviceFilter(property: string, value: string, rules: DeviceFilterRules): boolean {
  return value !== '' && HONOURED.has(property) && !rules.ignored.includes(property);
}

/** The devices `property eq value` selects: case-insensitive, whole value or (for `contains` properties) a substring. */
export function filterDevices(devices: readonly DeviceSeed[], property: string, value: string, rules: DeviceFilterRules): readonly DeviceSeed[] {
  if (!appliesDeviceFilter(property, value, rules)) return devices;
  const wanted = value.toLowerCase();
  const loose = rules.contains.includes(property);
  return devices.filter((seed) => {
    const actual = (seed.device as unknown as Record<string, unknown>)[property];
    if (typeof actual !== 'string') return false;
    const lower = actual.toLowerCase();
    return loose ? lower.includes(wanted) : lower === wanted;
  });
}
