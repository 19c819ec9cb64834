/**
 * Device matching as a table: a device Intune answers is the one asked for only when its own identifier equals the
 * value (trimmed, case-insensitive). Why: Intune ignores a $filter it cannot apply and answers every device
 * (microsoft-graph-docs-contrib#235, microsoft-graph-explorer-v4#3125, microsoft-graph-docs#16027), answers everything
 * for `eq ''` (microsoft-graph-docs-contrib#1391), and has treated `eq` as "contains" (microsoft/Intune-PowerShell-SDK#39;
 * `startswith` too: microsoft-graph-docs#11809). DOMAIN.md §2.
 */
import {
  MAX_CANDIDATES,
  NO_MATCHES,
  addMatches,
  nearIdentifier,
  resolveLookup,
  sameIdentifier,
  toCandidate,
  withCandidates,
  type DeviceLookup,
  type DeviceMatches,
} from '../../src/domain/device-match';
import type { DeviceRef } from '../../src/domain/request';

interface Device {
  readonly id: string;
  readonly deviceName: string;
  readonly operatingSystem: string;
  readonly serialNumber?: string;
  readonly lastSyncDateTime?: string;
}

const device = (n: number, serialNumber?: string, deviceName = `DEV-${n}`): Device => ({ id: `id-${n}`, deviceName, operatingSystem: 'Android', ...(serialNumber === undefined ? {} : { serialNumber }) });
const bySerial = (d: Device): string | undefined => d.serialNumber;
const SERIAL: DeviceRef = { kind: 'serialNumber', value: 'SBX1009' };

function lookup(pages: readonly (readonly Device[])[], ref: DeviceRef = SERIAL, complete = true, read: (d: Device) => string | undefined = bySerial): DeviceLookup<Device> {
  let found: DeviceMatches<Device> = NO_MATCHES;
  for (const page of pages) found = addMatches(found, page, ref.value, read);
  return { ...found, complete, pages: pages.length };
}

describe('sameIdentifier', () => {
  it.each([
    ['SBX1009', 'SBX1009', true],
    ['sbx1009', 'SBX1009', true],
    ['  SBX1009 ', 'SBX1009', true],
    ['SBX1009', ' sbx1009\t', true],
    ['SBX10090', 'SBX1009', false],
    ['XSBX1009', 'SBX1009', false],
    ['', '', false],
    ['   ', ' ', false],
    [undefined, 'SBX1009', false],
    ['Anna’s iPhone', "Anna's iPhone", false],
  ] as const)('%p is %p: %p', (actual, requested, expected) => {
    expect(sameIdentifier(actual, requested)).toBe(expected);
  });
});

describe('nearIdentifier', () => {
  it.each([
    ['SBX10090', 'SBX1009', true],
    ['xx-sbx1009-yy', 'SBX1009', true],
    ['SBX1009', 'SBX1009', false],
    ['SBX100', 'SBX1009', false],
    ['anything', '', false],
    [undefined, 'SBX1009', false],
  ] as const)('%p near %p: %p', (actual, requested, expected) => {
    expect(nearIdentifier(actual, requested)).toBe(expected);
  });
});

describe('resolveLookup', () => {
  it('accepts the one device whose own serial number is the one asked for, whatever else Intune answered', () => {
    const answer = [device(1, 'SBX1000'), device(2, 'sbx1009 '), device(3, 'SBX10090')];
    expect(resolveLookup(SERIAL, lookup([answer]))).toEqual({ kind: 'one', device: answer[1] });
  });

  it('refuses the lone device of a one-device tenant when it is not the one asked for (an ignored filter)', () => {
    const verdict = resolveLookup(SERIAL, lookup([[device(1, 'SBX7777')]]));
    expect(verdict).toMatchObject({ kind: 'refused', reason: 'device_not_found', candidates: [] });
    expect(verdict.kind === 'refused' && verdict.message).toBe('No Intune device has serialNumber "SBX1009" (Intune answered 1 device; none has that serialNumber)');
  });

  it('refuses with device_not_found and the near matches when nothing equals the value', () => {
    const verdict = resolveLookup(SERIAL, lookup([[device(1, 'SBX10090'), device(2, 'SBX1000')], [device(3, 'A-SBX1009')]]));
    expect(verdict).toMatchObject({ kind: 'refused', reason: 'device_not_found', candidates: [{ id: 'id-1' }, { id: 'id-3' }] });
  });

  it('refuses with device_ambiguous and the matches when several devices carry the value, across pages', () => {
    const verdict = resolveLookup(SERIAL, lookup([[device(1, 'SBX1009')], [device(2, 'Sbx1009')]]));
    expect(verdict).toMatchObject({ kind: 'refused', reason: 'device_ambiguous', message: '2 Intune devices have serialNumber "SBX1009"; name the device by its id', candidates: [{ id: 'id-1' }, { id: 'id-2' }] });
  });

  it('refuses one match from a lookup that stopped at its page limit: it may not be the only one', () => {
    const verdict = resolveLookup(SERIAL, lookup([[device(1, 'SBX1009'), device(2, 'X')]], SERIAL, false));
    expect(verdict).toMatchObject({ kind: 'refused', reason: 'device_ambiguous', candidates: [{ id: 'id-1' }] });
    expect(verdict.kind === 'refused' && verdict.message).toMatch(/may not be the only one/);
    expect(resolveLookup(SERIAL, lookup([[device(2, 'X')]], SERIAL, false))).toMatchObject({ reason: 'device_not_found' });
  });

  it('keeps at most MAX_CANDIDATES candidates, and counts every match', () => {
    const many = Array.from({ length: 25 }, (_, i) => device(i, 'SBX1009'));
    const found = lookup([many.slice(0, 12), many.slice(12)]);
    expect(found.exactCount).toBe(25);
    expect(found.exact).toHaveLength(MAX_CANDIDATES);
    const near = lookup([Array.from({ length: 25 }, (_, i) => device(i, `SBX1009-${i}`))]);
    expect(near.near).toHaveLength(MAX_CANDIDATES);
    expect(resolveLookup(SERIAL, found)).toMatchObject({ message: expect.stringMatching(/^25 Intune devices/) });
  });

  it('never matches an empty value, even against devices with no serial number (Intune answers everything for eq \'\')', () => {
    const ref: DeviceRef = { kind: 'serialNumber', value: ' ' };
    expect(resolveLookup(ref, lookup([[device(1, ''), device(2, ' '), device(3)]], ref))).toMatchObject({ kind: 'refused', reason: 'device_not_found', candidates: [] });
  });

  it('matches a device name the same way', () => {
    const ref: DeviceRef = { kind: 'deviceName', value: 'FRONTDESK-TAB' };
    const answer = [device(1, undefined, 'frontdesk-tab'), device(2, undefined, 'FRONTDESK-TAB-2')];
    expect(resolveLookup(ref, lookup([answer], ref, true, (d) => d.deviceName))).toEqual({ kind: 'one', device: answer[0] });
  });
});

describe('toCandidate', () => {
  it('lists no more than the id, name, platform and last sync', () => {
    const full = { ...device(1, 'SBX1009'), lastSyncDateTime: '2026-01-01T00:00:00Z', userPrincipalName: 'anna@contoso.com' };
    expect(toCandidate(full)).toEqual({ id: 'id-1', deviceName: 'DEV-1', operatingSystem: 'Android', lastSyncDateTime: '2026-01-01T00:00:00Z' });
  });
});

describe('withCandidates: the refusal names the devices to look at', () => {
  const a = { id: 'id-1', deviceName: 'FRONTDESK-TAB', operatingSystem: 'Android' };
  const b = { id: 'id-2', deviceName: 'frontdesk-tab', operatingSystem: 'iOS', lastSyncDateTime: '2026-01-01T00:00:00Z' };
  it.each([
    ['device_not_found', 'No Intune device has deviceName "FRONTDESK"', [a, b], 'No Intune device has deviceName "FRONTDESK"; near matches: FRONTDESK-TAB (Android, id-1), frontdesk-tab (iOS, id-2)'],
    ['device_ambiguous', '2 Intune devices have deviceName "FRONTDESK-TAB"; name the device by its id', [a, b], '2 Intune devices have deviceName "FRONTDESK-TAB"; name the device by its id: FRONTDESK-TAB (Android, id-1), frontdesk-tab (iOS, id-2)'],
    ['device_not_found', 'No Intune device has serialNumber "NOPE404"', [], 'No Intune device has serialNumber "NOPE404"'],
  ] as const)('%s: %s', (reason, message, candidates, expected) => {
    expect(withCandidates(reason, message, candidates)).toBe(expected);
  });
});
