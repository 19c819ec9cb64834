/**
 * The reset workflow end to end when Intune ignores the device lookup's $filter: a request that names one device never
 * reaches resetPasscode on another, in a tenant of one device and in a tenant of more than 1,000 (two pages).
 * Why the sandbox ignores the filter here: Intune does not refuse a $filter it cannot apply; it answers every device
 * (microsoft-graph-docs-contrib#235 deviceEnrollmentType, microsoft-graph-explorer-v4#3125 userId,
 * microsoft-graph-docs#16027 skuFamily), everything for `eq ''` (microsoft-graph-docs-contrib#1391), and has treated
 * `eq` as "contains" (microsoft/Intune-PowerShell-SDK#39); whether serialNumber / deviceName / azureADDeviceId filters
 * are applied is not documented (docs/sandbox.md, "Uncertain"). Pages of 1,000: microsoftgraph/powershell-intune-samples#2.
 */
import { FIXTURE_DEVICES, type DeviceSeed } from '@resetpc/sandbox';
import { startWorkflowHarness, type WorkflowHarness } from '../support/workflow';

const soloId = 'e1000000-0000-4000-8000-000000000001';
const bulkId = (i: number): string => `f1000000-0000-4000-8000-${i.toString().padStart(12, '0')}`;

describe('device lookup when Intune ignores the filter', () => {
  let h: WorkflowHarness;
  let fixtures: DeviceSeed[];

  beforeAll(async () => {
    h = await startWorkflowHarness('device-lookup');
    fixtures = [...h.sandbox.control.state.devices];
    h.sandbox.control.setDeviceFilterRules({ ignored: ['serialNumber', 'deviceName', 'azureADDeviceId'] });
  });

  afterAll(async () => {
    await h.close();
  });

  async function request(device: Record<string, string>): Promise<string> {
    const res = await h.intake.app.inject({ method: 'POST', url: '/v1/resets', headers: h.intake.auth('submitter'), payload: { device, requestedBy: 'anna@contoso.com' } });
    expect(res.statusCode).toBe(202);
    return res.json<{ id: string }>().id;
  }

  async function approve(id: string): Promise<void> {
    await h.until(id, 'awaiting_approval');
    expect((await h.intake.app.inject({ method: 'POST', url: `/v1/resets/${id}/approve`, headers: h.intake.auth('approver') })).statusCode).toBe(200);
  }

  /** Every resetPasscode POST the tenant received, by device id (only the non-zero ones). */
  function resets(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const seed of h.sandbox.control.state.devices) {
      const n = h.sandbox.control.resetPasscodeCount(seed.device.id);
      if (n > 0) counts[seed.device.id] = n;
    }
    return counts;
  }

  function seed(id: string, deviceName: string, serialNumber: string): DeviceSeed {
    const template = fixtures.find((d) => d.device.id === FIXTURE_DEVICES.androidFullyManaged)!.device;
    return { device: { ...template, id, deviceName, serialNumber, azureADDeviceId: id.replace(/^./, 'b') }, resetScript: { outcome: 'done', activeAfterMs: 20, finalAfterMs: 60 } };
  }

  describe('a tenant of one device', () => {
    beforeAll(() => {
      h.sandbox.control.state.devices = [seed(soloId, 'SOLO-TAB-01', 'SOLO0001')];
      h.sandbox.control.clearRecords();
    });

    it('refuses a request for another serial number: the lone device Intune answers is not taken for it', async () => {
      const id = await request({ serialNumber: 'OTHER0001' });
      await h.until(id, 'ineligible');
      const stored = await h.intake.store.get(id);
      expect(stored?.workflow).toMatchObject({ outcomeReason: 'device_not_found', candidates: [] });
      expect(stored?.workflow.managedDeviceId).toBeUndefined();
      expect(stored?.timeline.at(-1)?.reason).toBe('No Intune device has serialNumber "OTHER0001" (Intune answered 1 device; none has that serialNumber)');
      expect(resets()).toEqual({});
      expect(h.workerLogs.join('')).toContain('device lookup: Intune answered other devices');
    });

    it('refuses a name that is only part of the device\'s name, and lists the device as a candidate', async () => {
      const id = await request({ deviceName: 'SOLO-TAB' });
      await h.until(id, 'ineligible');
      const stored = await h.intake.store.get(id);
      expect(stored?.workflow).toMatchObject({ outcomeReason: 'device_not_found', candidates: [{ id: soloId, deviceName: 'SOLO-TAB-01', operatingSystem: 'Android' }] });
      // The reason (hence the ticket and the email) names the near match.
      expect(stored?.timeline.at(-1)?.reason).toMatch(new RegExp(`^No Intune device has deviceName "SOLO-TAB".*; near matches: SOLO-TAB-01 \\(Android, ${soloId}\\)$`));
      expect(resets()).toEqual({});
    });

    it('resets the device when the request names it (case aside), and only it', async () => {
      const id = await request({ serialNumber: 'solo0001' });
      await approve(id);
      await h.until(id, 'succeeded');
      expect((await h.intake.store.get(id))?.workflow.managedDeviceId).toBe(soloId);
      expect(resets()).toEqual({ [soloId]: 1 });
    });
  });

  describe('a tenant of more than 1,000 devices (two pages)', () => {
    beforeAll(() => {
      const bulk = Array.from({ length: 1_500 }, (_, i) => seed(bulkId(i), `BULK-${i}`, `BULK${i}`));
      h.sandbox.control.state.devices = [...fixtures, ...bulk];
      h.sandbox.control.clearRecords();
    });

    it('resets the device named on the second page, and no other', async () => {
      const id = await request({ serialNumber: 'BULK1400' });
      await approve(id);
      await h.until(id, 'succeeded');
      expect((await h.intake.store.get(id))?.workflow.managedDeviceId).toBe(bulkId(1400));
      expect(resets()).toEqual({ [bulkId(1400)]: 1 });
      const lists = h.sandbox.control.calls.filter((c) => c.method === 'GET' && c.path === '/beta/deviceManagement/managedDevices');
      expect(lists.length).toBeGreaterThanOrEqual(2);
    });

    it('refuses a serial number no device carries, after reading every page, and resets nothing', async () => {
      const id = await request({ serialNumber: 'NOPE404' });
      await h.until(id, 'ineligible');
      const stored = await h.intake.store.get(id);
      expect(stored?.workflow).toMatchObject({ outcomeReason: 'device_not_found', candidates: [] });
      const total = h.sandbox.control.state.devices.length;
      expect(stored?.timeline.at(-1)?.reason).toBe(`No Intune device has serialNumber "NOPE404" (Intune answered ${total} devices; none has that serialNumber)`);
      expect(resets()).toEqual({ [bulkId(1400)]: 1 });
    });

    it('refuses a name two devices carry, one on each page, listing both, and resets nothing', async () => {
      const twin = h.sandbox.control.device(bulkId(1300))!;
      h.sandbox.control.upsertDevice({ ...twin, device: { ...twin.device, deviceName: 'bulk-7' } });
      const id = await request({ deviceName: 'BULK-7' });
      await h.until(id, 'ineligible');
      const stored = await h.intake.store.get(id);
      expect(stored?.workflow.outcomeReason).toBe('device_ambiguous');
      expect(stored?.workflow.candidates?.map((c) => c.id)).toEqual([bulkId(7), bulkId(1300)]);
      expect(resets()).toEqual({ [bulkId(1400)]: 1 });
    });

    it('refuses a partial serial number, listing at most 10 near matches with only the candidate fields', async () => {
      const id = await request({ serialNumber: 'ULK14' });
      await h.until(id, 'ineligible');
      const workflow = (await h.intake.store.get(id))?.workflow;
      expect(workflow?.outcomeReason).toBe('device_not_found');
      const candidates = workflow?.candidates ?? [];
      expect(candidates.map((c) => c.deviceName)).toEqual(['BULK-14', 'BULK-140', 'BULK-141', 'BULK-142', 'BULK-143', 'BULK-144', 'BULK-145', 'BULK-146', 'BULK-147', 'BULK-148']);
      for (const c of candidates) expect(Object.keys(c).sort()).toEqual(['deviceName', 'id', 'lastSyncDateTime', 'operatingSystem']);
      expect(resets()).toEqual({ [bulkId(1400)]: 1 });
    });
  });
});
