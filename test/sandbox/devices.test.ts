/**
 * Intune managed devices as the simulator serves them (read as the gateway sends its requests, with graphRequest), and
 * found through the product's Intune gateway.
 * Docs: learn.microsoft.com/graph/api/intune-devices-manageddevice-get, …/intune-devices-manageddevice-list,
 * …/resources/intune-devices-manageddevice, and learn.microsoft.com/graph/paging.
 * How Intune treats a $filter it cannot apply (it ignores it and answers every device), from public reports:
 * microsoft-graph-docs-contrib#235 (deviceEnrollmentType), microsoft-graph-explorer-v4#3125 (userId ignored,
 * operatingSystem works), microsoft-graph-docs#16027 (skuFamily), microsoft-graph-docs-contrib#1391 (`eq ''` answers
 * everything, with @odata.count), microsoft/Intune-PowerShell-SDK#39 (userPrincipalName `eq` acts as "contains"),
 * microsoft/Intune-PowerShell-SDK#95 (a number literal is a 400), rapid7/insightconnect-plugins#705 (emailAddress
 * works). The 1,000-device page: microsoftgraph/powershell-intune-samples#2, microsoft/Intune-PowerShell-SDK#78.
 * Pages: https://learn.microsoft.com/en-us/graph/api/intune-devices-manageddevice-get and
 *   https://learn.microsoft.com/en-us/graph/api/intune-devices-manageddevice-list and
 *   https://learn.microsoft.com/en-us/graph/paging
 */
import { GraphError } from '@microsoft/microsoft-graph-client';
import { FIXTURE_DEVICES, SHARED_DEVICE_NAME } from '@resetpc/sandbox';
import { startTestSandbox, type TestSandbox } from './harness';

async function graphError(promise: Promise<unknown>): Promise<GraphError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof GraphError) return e;
    throw e;
  }
  throw new Error('expected a GraphError');
}

describe('sandbox Intune managed devices', () => {
  let t: TestSandbox;
  /** A device as Graph serves it, on `version`, with `$select` when given. */
  const device = (id: string, select?: readonly string[], version: 'v1.0' | 'beta' = 'v1.0') => {
    const request = t.request(`/deviceManagement/managedDevices/${id}`, { version });
    return (select === undefined ? request : request.select([...select])).get() as Promise<Record<string, unknown>>;
  };
  /** The ids of the devices the gateway found whose own `by` is `value`. */
  const found = async (by: 'deviceName' | 'serialNumber' | 'azureADDeviceId', value: string, maxDevicePages?: number) => {
    const lookup = await t.intune(maxDevicePages === undefined ? {} : { maxDevicePages }).findDevices(by, value);
    return lookup.exact.map((d) => d.id);
  };
  beforeAll(async () => {
    t = await startTestSandbox();
  });
  afterAll(async () => {
    await t.close();
  });

  it('gets a device by id with its v1.0 properties (intune-devices-manageddevice-get)', async () => {
    const served = await device(FIXTURE_DEVICES.windowsMobileAadJoined);
    expect(served).toMatchObject({
      id: FIXTURE_DEVICES.windowsMobileAadJoined,
      deviceName: 'WM10-CORP-0001',
      operatingSystem: 'Windows',
      osVersion: '10.0.15063.297',
      azureADRegistered: true,
      deviceEnrollmentType: 'windowsAzureADJoin',
      managementState: 'managed',
      deviceActionResults: [],
    });
    expect(served).not.toHaveProperty('deviceType');
  });

  it('serves $select with only the selected properties and a matching @odata.context', async () => {
    expect(await device(FIXTURE_DEVICES.iosSupervised, ['deviceName', 'isSupervised'])).toEqual({
      '@odata.context': expect.stringMatching(/\/v1\.0\/\$metadata#deviceManagement\/managedDevices\(deviceName,isSupervised\)\/\$entity$/),
      deviceName: 'CORP-IPHONE-0042',
      isSupervised: true,
    });
  });

  it('shows beta-only properties (deviceType, joinType, Android Enterprise enrollment types) on beta only', async () => {
    const select = ['deviceType', 'joinType', 'deviceEnrollmentType'];
    const beta = await device(FIXTURE_DEVICES.androidDedicated, select, 'beta');
    expect(beta).toMatchObject({ deviceType: 'androidEnterprise', joinType: 'unknown', deviceEnrollmentType: 'androidEnterpriseDedicatedDevice' });
    const v1 = await device(FIXTURE_DEVICES.androidDedicated);
    expect(v1.deviceEnrollmentType).toBe('unknownFutureValue');
    const e = await graphError(device(FIXTURE_DEVICES.androidDedicated, ['deviceType']));
    expect(e.statusCode).toBe(400);
  });

  it('answers an unknown device id with 404 in Graph error shape', async () => {
    const e = await graphError(device('00000000-0000-4000-8000-00000000dead'));
    expect(e.statusCode).toBe(404);
    expect(e.code).toBe('ResourceNotFound');
    expect(e.requestId).toEqual(expect.any(String));
  });

  it('finds a device by serial number and by Azure AD device id (intune-devices-manageddevice-list, $filter eq)', async () => {
    const seed = t.sandbox.control.device(FIXTURE_DEVICES.macos)!;
    expect(await found('serialNumber', seed.device.serialNumber!)).toEqual([FIXTURE_DEVICES.macos]);
    expect(await found('azureADDeviceId', seed.device.azureADDeviceId!)).toEqual([FIXTURE_DEVICES.macos]);
  });

  it("finds \"Anna's iPhone\": the single quote is doubled in the OData literal", async () => {
    expect(await found('deviceName', "Anna's iPhone")).toEqual([FIXTURE_DEVICES.iosUnsupervised]);
    expect(t.sandbox.control.calls.at(-1)?.query).toContain('%27Anna%27%27s%20iPhone%27');
  });

  it('finds a name with &, + and # in it, which survive URL encoding', async () => {
    const seed = structuredClone(t.sandbox.control.device(FIXTURE_DEVICES.androidFullyManaged)!);
    seed.device.id = 'd0000000-0000-4000-8000-0000000000a1';
    seed.device.deviceName = "R&D + QA #1 'lab'";
    t.sandbox.control.upsertDevice(seed);
    expect(await found('deviceName', "R&D + QA #1 'lab'")).toEqual([seed.device.id]);
    t.sandbox.control.removeDevice(seed.device.id);
  });

  it('returns both devices that share a name, and none for an unknown name', async () => {
    expect((await found('deviceName', SHARED_DEVICE_NAME)).sort()).toEqual([FIXTURE_DEVICES.sharedNameFirst, FIXTURE_DEVICES.sharedNameSecond]);
    expect(await found('deviceName', 'NO-SUCH-DEVICE')).toEqual([]);
  });

  it.each([
    ["deviceName ne 'x'", 'another operator'],
    ["deviceName eq 'unterminated", 'an unterminated literal'],
    ["noSuchProperty eq 'x'", 'a property managedDevice does not have'],
    ["deviceName eq 'a' and serialNumber eq 'b'", 'a compound clause'],
    ['deviceName eq "double-quoted"', 'a double-quoted literal'],
    ['deviceEnrollmentType eq 5', 'a number literal (Intune-PowerShell-SDK#95)'],
  ])('answers a $filter it cannot parse (%s: %s) with 400', async (filter) => {
    const e = await graphError(t.graph().client.api('/deviceManagement/managedDevices').filter(encodeURIComponent(filter)).get());
    expect(e.statusCode).toBe(400);
    expect(e.code).toBe('BadRequest');
  });

  interface DevicePage {
    '@odata.count'?: number;
    '@odata.nextLink'?: string;
    value: { id: string; operatingSystem?: string; serialNumber?: string }[];
  }
  const list = (filter?: string): Promise<DevicePage> => {
    const request = t.graph().client.api('/deviceManagement/managedDevices').select(['id', 'operatingSystem', 'serialNumber']);
    return (filter === undefined ? request : request.filter(encodeURIComponent(filter))).get() as Promise<DevicePage>;
  };

  it.each([
    ["userId eq '66903bee-b442-40c1-8629-000000000000'", 'userId (microsoft-graph-explorer-v4#3125)'],
    ["deviceEnrollmentType eq 'appleBulkWithoutUser'", 'deviceEnrollmentType (microsoft-graph-docs-contrib#235)'],
    ["managementState eq 'retirePending'", 'managementState'],
    ["serialNumber eq ''", "an empty literal (microsoft-graph-docs-contrib#1391)"],
    ["userPrincipalName eq ''", "an empty literal (microsoft-graph-docs-contrib#1391)"],
  ])('ignores %s (%s): 200 with every device and @odata.count, not 400', async (filter) => {
    const all = t.sandbox.control.state.devices.length;
    const page = await list(filter);
    expect(page['@odata.count']).toBe(all);
    expect(page.value).toHaveLength(all);
  });

  it('applies operatingSystem and emailAddress filters (microsoft-graph-explorer-v4#3125, insightconnect-plugins#705)', async () => {
    const ios = await list("operatingSystem eq 'ios'");
    expect(ios.value.map((d) => d.id)).toEqual([FIXTURE_DEVICES.iosSupervised, FIXTURE_DEVICES.iosUnsupervised]);
    expect(ios['@odata.count']).toBe(2);
    const seed = t.sandbox.control.device(FIXTURE_DEVICES.macos)!;
    t.sandbox.control.upsertDevice({ ...seed, device: { ...seed.device, emailAddress: 'Designer@Sandbox.Example' } });
    try {
      expect((await list("emailAddress eq 'designer@sandbox.example'")).value.map((d) => d.id)).toEqual([FIXTURE_DEVICES.macos]);
    } finally {
      t.sandbox.control.upsertDevice(seed);
    }
  });

  it('matches userPrincipalName eq as "contains", as Intune-PowerShell-SDK#39 reports', async () => {
    const page = await list("userPrincipalName eq 'example@sandbox'");
    expect(page.value).toHaveLength(t.sandbox.control.state.devices.length);
    expect((await list("userPrincipalName eq 'nobody@sandbox.example'")).value).toEqual([]);
  });

  it('ignores serialNumber and deviceName filters when told to (setDeviceFilterRules), to play an Intune that does', async () => {
    const all = t.sandbox.control.state.devices.length;
    expect((await list("serialNumber eq 'SBX1007'")).value.map((d) => d.id)).toEqual([FIXTURE_DEVICES.macos]);
    t.sandbox.control.setDeviceFilterRules({ ignored: ['serialNumber', 'deviceName'] });
    try {
      expect(await list("serialNumber eq 'SBX1007'")).toMatchObject({ '@odata.count': all, value: expect.arrayContaining([expect.objectContaining({ id: FIXTURE_DEVICES.macos })]) });
      expect((await list("deviceName eq 'MAC-DESIGN-11'")).value).toHaveLength(all);
      expect((await list("azureADDeviceId eq 'a0000000-0000-4000-8000-000000000008'")).value.map((d) => d.id)).toEqual([FIXTURE_DEVICES.macos]);
    } finally {
      t.sandbox.control.setDeviceFilterRules({});
    }
    expect(t.sandbox.control.deviceFilterRules).toEqual({ ignored: [], contains: ['userPrincipalName'] });
  });

  it('answers pages of 1,000 devices by default, each with @odata.count of the whole answer and @odata.nextLink but the last', async () => {
    const template = t.sandbox.control.device(FIXTURE_DEVICES.androidFullyManaged)!;
    const extra = Array.from({ length: 1_200 }, (_, i) => ({ device: { ...template.device, id: `f0000000-0000-4000-8000-${i.toString().padStart(12, '0')}`, deviceName: `BULK-${i}`, serialNumber: `BULK${i}` } }));
    t.sandbox.control.state.devices.push(...extra);
    try {
      const all = t.sandbox.control.state.devices.length;
      const first = await list("deviceEnrollmentType eq 'androidEnterpriseFullyManaged'");
      expect(first.value).toHaveLength(1_000);
      expect(first['@odata.count']).toBe(all);
      expect(first['@odata.nextLink']).toMatch(/\$skiptoken=/);
      const second = (await t.graph().client.api(first['@odata.nextLink']!).get()) as DevicePage;
      expect(second.value).toHaveLength(all - 1_000);
      expect(second['@odata.count']).toBe(all);
      expect(second['@odata.nextLink']).toBeUndefined();
      expect(new Set([...first.value, ...second.value].map((d) => d.id)).size).toBe(all);
    } finally {
      t.sandbox.control.state.devices = t.sandbox.control.state.devices.filter((d) => !d.device.id.startsWith('f0000000-'));
    }
  });

  it('pages with $top and @odata.nextLink, and the gateway follows every page', async () => {
    const first = (await t.graph().client.api('/deviceManagement/managedDevices').top(5).get()) as { value: unknown[]; '@odata.nextLink'?: string };
    expect(first.value).toHaveLength(5);
    expect(first['@odata.nextLink']).toMatch(new RegExp(`^${t.sandbox.urls.origin}/v1\\.0/deviceManagement/managedDevices\\?.*\\$skiptoken=`));
    const pageSize = t.sandbox.control.devicePageSize;
    t.sandbox.control.devicePageSize = 1;
    try {
      const before = t.sandbox.control.calls.length;
      const lookup = await t.intune().findDevices('deviceName', SHARED_DEVICE_NAME);
      expect(lookup).toMatchObject({ exactCount: 2, complete: true, pages: 2 });
      expect(t.sandbox.control.calls.length - before).toBe(2);
    } finally {
      t.sandbox.control.devicePageSize = pageSize;
    }
  });

  it('reports the lookup incomplete, never a lone match, when more pages match than allowed', async () => {
    const pageSize = t.sandbox.control.devicePageSize;
    t.sandbox.control.devicePageSize = 1;
    try {
      expect(await t.intune({ maxDevicePages: 1 }).findDevices('deviceName', SHARED_DEVICE_NAME)).toMatchObject({ exactCount: 1, complete: false, pages: 1 });
    } finally {
      t.sandbox.control.devicePageSize = pageSize;
    }
  });
});
