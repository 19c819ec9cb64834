/**
 * The Intune gateway's device lookup against the sandbox (HTTPS, real credential) and a real Redis budget: it follows
 * every @odata.nextLink page, compares each device's own identifier, and says whether it saw every device.
 * Why: Intune ignores a $filter it cannot apply and answers every device, with no error
 * (microsoft-graph-docs-contrib#235, microsoft-graph-explorer-v4#3125, microsoft-graph-docs#16027), answers everything
 * for `eq ''` (microsoft-graph-docs-contrib#1391), and has treated `eq` as "contains" (microsoft/Intune-PowerShell-SDK#39).
 * Microsoft does not say whether serialNumber / deviceName / azureADDeviceId filters are applied, so these tests make
 * the sandbox ignore them (docs/sandbox.md, "Uncertain"). Pages of 1,000 with @odata.count and @odata.nextLink:
 * microsoftgraph/powershell-intune-samples#2, microsoft/Intune-PowerShell-SDK#78, learn.microsoft.com/graph/paging.
 */
import type { Redis } from 'ioredis';
import { DEFAULT_BUDGET_LIMITS, GraphBudget } from '../../src/graph/budget';
import { createIntuneGateway, type IntuneGateway } from '../../src/graph/gateway';
import { createRedis, waitForReady } from '../../src/redis/connection';
import { FIXTURE_DEVICES, type DeviceSeed } from '@resetpc/sandbox';
import { startTestSandbox, type TestSandbox } from '../sandbox/harness';
import { testRedisUrl, uniquePrefix, waitFor } from '../support/env';

const BULK = 1_500;
const bulkId = (i: number): string => `f0000000-0000-4000-8000-${i.toString().padStart(12, '0')}`;

describe('Intune gateway device lookup, when Intune ignores the filter', () => {
  let t: TestSandbox;
  let redis: Redis;
  const prefixes: string[] = [];
  const make = (maxDevicePages?: number): IntuneGateway => {
    const prefix = uniquePrefix('device-lookup');
    prefixes.push(prefix);
    const budget = new GraphBudget(redis, prefix, DEFAULT_BUDGET_LIMITS, () => t.clock.now());
    return createIntuneGateway({ client: t.graph(), budget, tenantId: t.sandbox.tenantId, redis, prefix, ...(maxDevicePages === undefined ? {} : { maxDevicePages }) });
  };
  const lists = () => t.sandbox.control.calls.filter((c) => c.method === 'GET' && c.path === '/beta/deviceManagement/managedDevices');

  beforeAll(async () => {
    t = await startTestSandbox();
    redis = createRedis(testRedisUrl(), 'worker', { name: 'device-lookup-test' });
    await waitForReady(redis, 5000);
    const template = t.sandbox.control.device(FIXTURE_DEVICES.androidFullyManaged)!.device;
    const bulk: DeviceSeed[] = Array.from({ length: BULK }, (_, i) => ({
      device: { ...template, id: bulkId(i), deviceName: `BULK-${i}`, serialNumber: `BULK${i}`, azureADDeviceId: bulkId(i).replace(/^f/, 'b') },
    }));
    t.sandbox.control.state.devices.push(...bulk);
  });
  beforeEach(() => {
    t.sandbox.control.setDeviceFilterRules({ ignored: ['serialNumber', 'deviceName', 'azureADDeviceId'] });
    t.sandbox.control.clearRecords();
  });
  afterAll(async () => {
    for (const prefix of prefixes) {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    await redis.quit();
    await t.close();
  });

  it('reads every page (1,000 devices each) and keeps only the device whose own serial number is the one asked for', async () => {
    const total = t.sandbox.control.state.devices.length;
    const lookup = await make().findDevices('serialNumber', 'bulk1400');
    expect(lookup).toMatchObject({ exactCount: 1, seen: total, complete: true, pages: 2 });
    expect(lookup.exact.map((d) => d.id)).toEqual([bulkId(1400)]);
    const [first, second] = lists();
    const query = new URLSearchParams(first!.query);
    expect(query.get('$filter')).toBe("serialNumber eq 'bulk1400'");
    expect(query.get('$top')).toBeNull();
    const next = new URLSearchParams(second!.query);
    expect(next.get('$skiptoken')).not.toBeNull();
    expect(next.get('$filter')).toBe("serialNumber eq 'bulk1400'");
    expect(next.get('$select')).toBe(query.get('$select'));
    expect(lists()).toHaveLength(2);
  });

  it('finds nothing, with near matches as candidates (at most 10), when no device carries the value', async () => {
    const lookup = await make().findDevices('deviceName', 'BULK-14');
    expect(lookup.exact.map((d) => d.id)).toEqual([bulkId(14)]);
    const none = await make().findDevices('deviceName', 'BULK-9999');
    expect(none).toMatchObject({ exact: [], exactCount: 0, near: [], complete: true });
    const near = await make().findDevices('serialNumber', 'ULK149');
    expect(near.exactCount).toBe(0);
    expect(near.near.map((d) => d.serialNumber)).toEqual(['BULK149', ...Array.from({ length: 9 }, (_, i) => `BULK149${i}`)]);
  });

  it('finds both devices that share a name on different pages', async () => {
    const second = t.sandbox.control.device(bulkId(1200))!;
    t.sandbox.control.upsertDevice({ ...second, device: { ...second.device, deviceName: 'bulk-3 ' } });
    try {
      const lookup = await make().findDevices('deviceName', 'BULK-3');
      expect(lookup).toMatchObject({ exactCount: 2, complete: true, pages: 2 });
      expect(lookup.exact.map((d) => d.id)).toEqual([bulkId(3), bulkId(1200)]);
    } finally {
      t.sandbox.control.upsertDevice(second);
    }
  });

  it('reads one page when Intune applies the filter', async () => {
    t.sandbox.control.setDeviceFilterRules({});
    const lookup = await make().findDevices('azureADDeviceId', bulkId(7).replace(/^f/, 'B'));
    expect(lookup).toMatchObject({ exactCount: 1, seen: 1, complete: true, pages: 1 });
    expect(lists()).toHaveLength(1);
  });

  it('stops at maxDevicePages and says it did not see every device', async () => {
    const lookup = await make(1).findDevices('serialNumber', 'BULK3');
    expect(lookup).toMatchObject({ exactCount: 1, seen: 1_000, complete: false, pages: 1 });
    expect(lists()).toHaveLength(1);
  });

  it('says it did not see every device when the pages hold fewer devices than @odata.count announced', async () => {
    // The second page waits 300 ms; meanwhile 400 devices leave the tenant, so the offset-based page skips some.
    t.sandbox.control.injectFault({ method: 'GET', path: '/beta/deviceManagement/managedDevices', sequence: [null, { kind: 'latency', ms: 300 }] });
    const before = [...t.sandbox.control.state.devices];
    try {
      const pending = make().findDevices('serialNumber', 'BULK1499');
      await waitFor(() => Promise.resolve(lists().length === 2), 5_000, 'the second page request');
      t.sandbox.control.state.devices = before.filter((d) => !(d.device.id.startsWith('f0000000-') && Number(d.device.id.slice(-12)) < 400));
      const lookup = await pending;
      expect(lookup.complete).toBe(false);
      expect(lookup.seen).toBeLessThan(before.length);
    } finally {
      t.sandbox.control.faults.clear();
      t.sandbox.control.state.devices = before;
    }
  });
});
