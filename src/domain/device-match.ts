/**
 * Device matching: which of the devices Intune answered is the one a request named. A lookup's answer proves nothing
 * by itself (DOMAIN.md §2): Intune ignores a `$filter` it cannot apply and answers every device, answers everything for
 * `eq ''`, and has been seen to treat `eq` as "contains". So a device matches only when its own identifier equals the
 * value asked for (trimmed, case-insensitively), and the verdict below is one device, or a refusal with candidates.
 */
import type { DeviceRef } from './request';
import type { DeviceCandidate } from './workflow';

/** At most this many candidates are listed with a refusal. */
export const MAX_CANDIDATES = 10;

/** How identifiers are compared: trimmed and case-insensitively (as `deviceKey` does). */
export function normalizeIdentifier(value: string): string {
  return value.trim().toLowerCase();
}

/** True when `actual` is the identifier asked for. An empty value matches nothing. */
export function sameIdentifier(actual: string | undefined, requested: string): boolean {
  const wanted = normalizeIdentifier(requested);
  return wanted !== '' && actual !== undefined && normalizeIdentifier(actual) === wanted;
}

/** True when `actual` holds the identifier asked for without being it: worth showing as a candidate. */
export function nearIdentifier(actual: string | undefined, requested: string): boolean {
  const wanted = normalizeIdentifier(requested);
  if (wanted === '' || actual === undefined) return false;
  const have = normalizeIdentifier(actual);
  return have !== wanted && have.includes(wanted);
}

/** What a lookup found, page by page: the exact matches and near matches (each at most MAX_CANDIDATES kept). */
export interface DeviceMatches<T> {
  readonly exact: readonly T[];
  /** Every exact match, also those not kept. */
  readonly exactCount: number;
  readonly near: readonly T[];
  /** How many devices Intune answered in all. */
  readonly seen: number;
}

export const NO_MATCHES: DeviceMatches<never> = { exact: [], exactCount: 0, near: [], seen: 0 };

/** Adds one page of devices Intune answered, reading each one's identifier with `identifier`. */
export function addMatches<T>(found: DeviceMatches<T>, page: readonly T[], requested: string, identifier: (device: T) => string | undefined): DeviceMatches<T> {
  const exact = [...found.exact];
  const near = [...found.near];
  let exactCount = found.exactCount;
  for (const device of page) {
    const actual = identifier(device);
    if (sameIdentifier(actual, requested)) {
      exactCount += 1;
      if (exact.length < MAX_CANDIDATES) exact.push(device);
    } else if (near.length < MAX_CANDIDATES && nearIdentifier(actual, requested)) {
      near.push(device);
    }
  }
  return { exact, exactCount, near, seen: found.seen + page.length };
}

/** A finished lookup: what matched, and whether every page Intune had was read. */
export interface DeviceLookup<T> extends DeviceMatches<T> {
  /**
   * False when the lookup did not see every device: it stopped at its page limit, or Graph's pages held fewer devices
   * than its @odata.count. A lone match then does not prove it is the only one.
   */
  readonly complete: boolean;
  readonly pages: number;
}

const devices = (n: number): string => `${n} device${n === 1 ? '' : 's'}`;
const pagesRead = (n: number): string => `${n} page${n === 1 ? '' : 's'} read`;

export type DeviceResolution<T> =
  | { readonly kind: 'one'; readonly device: T }
  | { readonly kind: 'refused'; readonly reason: 'device_not_found' | 'device_ambiguous'; readonly message: string; readonly candidates: readonly T[] };

/** The verdict on a lookup for `ref`: exactly one matching device from a complete lookup, or a refusal with candidates. */
export function resolveLookup<T>(ref: DeviceRef, lookup: DeviceLookup<T>): DeviceResolution<T> {
  const asked = `${ref.kind} "${ref.value}"`;
  const only = lookup.exact[0];
  if (lookup.complete && lookup.exactCount === 1 && only !== undefined) return { kind: 'one', device: only };
  if (lookup.exactCount > 1) {
    const count = `${lookup.complete ? '' : 'at least '}${lookup.exactCount}`;
    return { kind: 'refused', reason: 'device_ambiguous', message: `${count} Intune devices have ${asked}; name the device by its id`, candidates: lookup.exact };
  }
  if (lookup.exactCount === 1) {
    const message = `Intune answered ${devices(lookup.seen)} for ${asked}, but the lookup did not see every device (${pagesRead(lookup.pages)}), so the one match found may not be the only one; name the device by its id`;
    return { kind: 'refused', reason: 'device_ambiguous', message, candidates: lookup.exact };
  }
  const others = lookup.seen === 0 ? '' : ` (Intune answered ${devices(lookup.seen)}; none has that ${ref.kind})`;
  const message = lookup.complete
    ? `No Intune device has ${asked}${others}`
    : `No Intune device has ${asked} among the ${devices(lookup.seen)} Intune answered, but the lookup did not see every device (${pagesRead(lookup.pages)}); name the device by its id`;
  return { kind: 'refused', reason: 'device_not_found', message, candidates: lookup.near };
}

/** A device as a refusal lists it: no more than these four fields. */
export function toCandidate(device: { readonly id: string; readonly deviceName: string; readonly operatingSystem: string; readonly lastSyncDateTime?: string }): DeviceCandidate {
  return {
    id: device.id,
    deviceName: device.deviceName,
    operatingSystem: device.operatingSystem,
    ...(device.lastSyncDateTime === undefined ? {} : { lastSyncDateTime: device.lastSyncDateTime }),
  };
}

/** A candidate as messages name it: `name (platform, id)`. */
export function candidateLabel(candidate: DeviceCandidate): string {
  return `${candidate.deviceName} (${candidate.operatingSystem}, ${candidate.id})`;
}

/**
 * A refusal's message with its candidates named, so that the timeline, the ticket and the email say which devices to
 * look at: the devices that all carry the identifier (device_ambiguous: "…; name the device by its id: A (…), B (…)"),
 * or the near matches, whose identifier holds the one asked for (device_not_found: "…; near matches: A (…)").
 */
export function withCandidates(reason: 'device_not_found' | 'device_ambiguous', message: string, candidates: readonly DeviceCandidate[]): string {
  if (candidates.length === 0) return message;
  const list = candidates.map(candidateLabel).join(', ');
  return reason === 'device_ambiguous' ? `${message}: ${list}` : `${message}; near matches: ${list}`;
}
