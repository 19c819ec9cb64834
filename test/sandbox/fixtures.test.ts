/**
 * The fixture tenant covers the eligibility matrix of issue 3. Device properties follow
 * learn.microsoft.com/graph/api/resources/intune-devices-manageddevice (beta for deviceType and joinType).
 * Pages: https://learn.microsoft.com/en-us/graph/api/resources/intune-devices-manageddevice?view=graph-rest-beta
 */
import { FIXTURE_DEVICES, SHARED_DEVICE_NAME, createFixtureTenant, fixtureDevices } from '@resetpc/sandbox';

const NOW = Date.parse('2026-03-02T09:00:00Z');
const byId = new Map(fixtureDevices(NOW).map((seed) => [seed.device.id, seed]));
const device = (key: keyof typeof FIXTURE_DEVICES) => byId.get(FIXTURE_DEVICES[key])!.device;

describe('fixture tenant', () => {
  it('has one device per named case, each with a note, and unique ids and serial numbers', () => {
    const seeds = fixtureDevices(NOW);
    expect(seeds).toHaveLength(Object.keys(FIXTURE_DEVICES).length);
    expect(new Set(seeds.map((s) => s.device.id)).size).toBe(seeds.length);
    expect(new Set(seeds.map((s) => s.device.serialNumber)).size).toBe(seeds.length);
    for (const seed of seeds) expect(seed.note).toEqual(expect.any(String));
  });

  it('covers Windows 10 Mobile at and before the Creators Update (10.0.15063), Azure AD joined or not', () => {
    expect(device('windowsMobileAadJoined')).toMatchObject({ deviceType: 'windowsPhone', osVersion: expect.stringMatching(/^10\.0\.15063\./), joinType: 'azureADJoined' });
    expect(device('windowsMobileOldBuild')).toMatchObject({ deviceType: 'windowsPhone', osVersion: expect.stringMatching(/^10\.0\.14393\./) });
    expect(device('windowsMobileNotAadJoined')).toMatchObject({ deviceType: 'windowsPhone', azureADRegistered: false });
    expect(device('windowsDesktop')).toMatchObject({ deviceType: 'desktop', operatingSystem: 'Windows' });
  });

  it('covers iOS/iPadOS supervised and not, and macOS', () => {
    expect(device('iosSupervised')).toMatchObject({ operatingSystem: 'iOS', isSupervised: true });
    expect(device('iosUnsupervised')).toMatchObject({ operatingSystem: 'iOS', isSupervised: false });
    expect(device('ipadosUnsupervised')).toMatchObject({ operatingSystem: 'iPadOS', isSupervised: false });
    expect(device('macos')).toMatchObject({ operatingSystem: 'macOS' });
  });

  it('covers the Android Enterprise enrollments and AOSP', () => {
    expect(device('androidDedicated').deviceEnrollmentType).toBe('androidEnterpriseDedicatedDevice');
    expect(device('androidFullyManaged').deviceEnrollmentType).toBe('androidEnterpriseFullyManaged');
    expect(device('androidCorporateWorkProfile').deviceEnrollmentType).toBe('androidEnterpriseCorporateWorkProfile');
    expect(device('androidPersonalWorkProfile')).toMatchObject({ deviceType: 'androidForWork', ownerType: 'personal' });
    expect(device('androidAosp').deviceEnrollmentType).toBe('androidAOSPUserlessDeviceEnrollment');
  });

  it('covers retire-pending, wipe-pending, a device not synced for months, and two devices sharing a name', () => {
    expect(device('retirePending').managementState).toBe('retirePending');
    expect(device('wipePending').managementState).toBe('wipePending');
    expect(NOW - Date.parse(device('notSyncedForMonths').lastSyncDateTime!)).toBeGreaterThan(90 * 24 * 60 * 60 * 1000);
    expect([device('sharedNameFirst').deviceName, device('sharedNameSecond').deviceName]).toEqual([SHARED_DEVICE_NAME, SHARED_DEVICE_NAME]);
  });

  it('is plain data that survives a JSON round trip, so a control API can seed it', () => {
    const tenant = createFixtureTenant({ now: NOW });
    expect(JSON.parse(JSON.stringify(tenant))).toEqual(tenant);
  });
});
