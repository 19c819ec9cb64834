import { FIXTURE_DEVICES } from '@resetpc/sandbox';
import { QueueEvents } from 'bullmq';
import { catalog } from '../../src/queue/catalog';
import { createRedis, waitForReady } from '../../src/redis/connection';
import { startWorkflowHarness, type WorkflowHarness } from '../support/workflow';

/**
 * A burst of resets against a small read budget (ADR 014), end to end: the real intake, the worker and the production
 * Graph gateway against the sandbox. Each new job reads the device, then the action baseline before its POST. When
 * the device read must wait, the baseline's slot is booked with it, so the job waits once for both reads instead of
 * once for each; the budget still keeps every call under the sandbox's limits, and each device gets one POST.
 */

/** Read lane: 200 − 100 = 100 reads per 2 s, one every 20 ms (tolerance 100 ms). Writes: one every 20 ms. */
const BUDGET = { GRAPH_WINDOW_MS: '2000', GRAPH_WRITE_BUDGET: '100', GRAPH_READ_BUDGET: '200' };
/** The sandbox's throttle just above that budget, in the same window: a call the budget let through early is a 429. */
const SANDBOX_LIMITS = { windowMs: 2_000, appWrites: 110, appRequests: 220 };
const BURST = 40;

describe('a burst of resets against a small read budget', () => {
  let h: WorkflowHarness;
  let events: QueueEvents;
  /** When each job was moved to the delayed set (Redis's clock, from the event's stream id), by job id = request id. */
  const delayed = new Map<string, number[]>();

  beforeAll(async () => {
    h = await startWorkflowHarness('booking', { ...BUDGET, APPROVAL_REQUIRED: 'false', BLAST_RADIUS_PER_HOUR: '10000' });
    h.sandbox.control.setThrottleLimits(SANDBOX_LIMITS);
    const connection = createRedis(h.intake.config.REDIS_URL, 'worker', { name: 'read-booking-events' });
    await waitForReady(connection, 5_000);
    events = new QueueEvents(catalog.reset.queue, { connection, prefix: h.intake.prefix, autorun: true });
    await events.waitUntilReady();
    events.on('delayed', ({ jobId }, id) => {
      delayed.set(jobId, [...(delayed.get(jobId) ?? []), Number(id.split('-')[0])]);
    });
  });

  afterAll(async () => {
    await events.close();
    await events.disconnect();
    await h.close();
  });

  it('waits about once, not twice, for the reads before each POST, gets no 429, and resets each device once', async () => {
    const template = h.sandbox.control.device(FIXTURE_DEVICES.androidDedicated)?.device;
    if (template === undefined) throw new Error('the fixture device is missing');
    const devices = Array.from({ length: BURST }, (_, i) => {
      const suffix = `b${String(i).padStart(4, '0')}`;
      const id = `f0000000-0000-4000-8000-${suffix.padStart(12, '0')}`;
      // Looked up by serial number, as a ticket names a device: the first read is the $filter lookup.
      h.sandbox.control.upsertDevice({
        device: { ...template, id, deviceName: `KIOSK-${suffix}`, serialNumber: `SBXR${suffix}`, azureADDeviceId: id.replace(/^f/, 'a') },
        resetScript: { outcome: 'done', activeAfterMs: 20, finalAfterMs: 60 },
      });
      return { id, serialNumber: `SBXR${suffix}` };
    });
    const ids = await Promise.all(
      devices.map(async (d) => {
        const res = await h.intake.app.inject({ method: 'POST', url: '/v1/resets', headers: h.intake.auth('submitter'), payload: { device: { serialNumber: d.serialNumber }, requestedBy: 'anna@contoso.com' } });
        expect(res.statusCode).toBe(202);
        return res.json<{ id: string }>().id;
      }),
    );
    for (const id of ids) await h.until(id, 'succeeded', 60_000);

    const calls = h.sandbox.control.calls;
    expect(calls.filter((c) => c.outcome === 429)).toEqual([]);
    expect(devices.map((d) => h.sandbox.control.resetPasscodeCount(d.id))).toEqual(devices.map(() => 1));
    // The reads before a POST are the device lookup and the baseline (the first v1.0 read of the device's actions):
    // every wait of the job before the baseline reached the sandbox was a wait for one of those two reads.
    const readWaits = ids.map((id, i) => {
      const device = devices[i]?.id ?? '';
      const baseline = calls.find((c) => c.method === 'GET' && c.path === `/v1.0/deviceManagement/managedDevices/${device}`);
      if (baseline === undefined) throw new Error(`no baseline read for ${device}`);
      return (delayed.get(id) ?? []).filter((at) => at < baseline.at).length;
    });
    // The burst is larger than the reads' tolerance: most jobs had to wait, most of them once. Without the booking each
    // waited about twice (1.9 per job in the tree before ADR 014). A job woken more than the tolerance after its slot
    // (a busy event loop here) loses it and waits again, so the test bounds the mean rather than each job.
    const waited = readWaits.filter((n) => n > 0);
    expect(waited.length).toBeGreaterThan(BURST / 2);
    expect(waited.filter((n) => n === 1).length).toBeGreaterThan(waited.length / 2);
    expect(waited.reduce((a, b) => a + b, 0) / waited.length).toBeLessThan(1.5);
  }, 90_000);
});
