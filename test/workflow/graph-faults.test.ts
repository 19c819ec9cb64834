import { FIXTURE_DEVICES, PRODUCT_ROLES, type Sandbox } from '@resetpc/sandbox';
import { MAX_TRANSIENT_FAILURES, transientBackoffMs } from '../../workers/reset/processor';
import { startWorkflowHarness, type WorkflowHarness } from '../support/workflow';

/**
 * What Graph's failures do to the workflow, end to end against the sandbox: a 429 storm, a missing permission, and
 * 5xx answers on reads. Each block has its own sandbox, Redis prefix and in-process worker.
 */

/** `n` Android Enterprise dedicated devices with their own ids (`label`: a hex digit), whose resets finish within 200 ms. */
function seedDevices(sandbox: Sandbox, label: string, n: number): string[] {
  const template = sandbox.control.device(FIXTURE_DEVICES.androidDedicated)?.device;
  if (template === undefined) throw new Error('the fixture device is missing');
  return Array.from({ length: n }, (_, i) => {
    const suffix = `${label}${String(i).padStart(4, '0')}`;
    const id = `f0000000-0000-4000-8000-${suffix.padStart(12, '0')}`;
    sandbox.control.upsertDevice({
      device: { ...template, id, deviceName: `KIOSK-${suffix}`, serialNumber: `SBXF${suffix}`, azureADDeviceId: id.replace(/^f/, 'a') },
      resetScript: { outcome: 'done', activeAfterMs: 50, finalAfterMs: 200 },
    });
    return id;
  });
}

async function submit(h: WorkflowHarness, deviceId: string): Promise<string> {
  const res = await h.intake.app.inject({ method: 'POST', url: '/v1/resets', headers: h.intake.auth('submitter'), payload: { device: { id: deviceId }, requestedBy: 'anna@contoso.com' } });
  expect(res.statusCode).toBe(202);
  return res.json<{ id: string }>().id;
}

const posts = (h: WorkflowHarness) => h.sandbox.control.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/resetPasscode'));

/** The sandbox's throttle, made small: 5 writes per app per 2 s. */
const SANDBOX_LIMITS = { windowMs: 2_000, appWrites: 5 };

/**
 * A call the product had already sent when a 429 came back may still arrive just after it; anything later, until
 * the Retry-After (at least 1 s: the sandbox answers in whole seconds), breaks the pause.
 */
const IN_FLIGHT_GRACE_MS = 250;
const MIN_RETRY_AFTER_MS = 1_000;

describe('a 429 storm, with the product budget above the sandbox limits', () => {
  let h: WorkflowHarness;

  beforeAll(async () => {
    // One worker takes all 20 requests at once; the product paces 20 writes per 2 s, four times what the sandbox admits.
    h = await startWorkflowHarness('storm', { APPROVAL_REQUIRED: 'false', WORKER_CONCURRENCY: '20', GRAPH_WINDOW_MS: '2000', GRAPH_WRITE_BUDGET: '20', GRAPH_READ_BUDGET: '1000', BLAST_RADIUS_PER_HOUR: '10000' });
    h.sandbox.control.setThrottleLimits(SANDBOX_LIMITS);
  });

  afterAll(async () => {
    await h.close();
  });

  it('completes every reset with one POST per device, pausing all Graph calls for each Retry-After', async () => {
    const devices = seedDevices(h.sandbox, 'a', 20);
    const ids: string[] = [];
    for (const device of devices) ids.push(await submit(h, device));
    for (const id of ids) await h.until(id, 'succeeded', 60_000);

    expect(devices.map((d) => h.sandbox.control.resetPasscodeCount(d))).toEqual(devices.map(() => 1));
    expect(posts(h).filter((c) => c.outcome === 204)).toHaveLength(devices.length);
    const calls = h.sandbox.control.calls;
    const throttled = calls.filter((c) => c.outcome === 429);
    // It was a storm: the product's budget let through more than the sandbox admits.
    expect(throttled.length).toBeGreaterThan(0);
    const duringPause = throttled.flatMap((t) =>
      calls.filter((c) => c.at > t.at + IN_FLIGHT_GRACE_MS && c.at < t.at + MIN_RETRY_AFTER_MS).map((c) => ({ after429At: t.at, ms: c.at - t.at, call: `${c.method} ${c.path} → ${String(c.outcome)}` })),
    );
    expect(duringPause).toEqual([]);
    process.stdout.write(`[storm] ${String(devices.length)} resets, ${String(calls.length)} Graph calls, ${String(throttled.length)} answered 429 (${String(throttled.filter((c) => c.method === 'POST').length)} of them POSTs)\n`);
  }, 70_000);
});

describe('Graph faults, with the product budget below the sandbox limits', () => {
  let h: WorkflowHarness;

  beforeAll(async () => {
    h = await startWorkflowHarness('budget', { APPROVAL_REQUIRED: 'false', GRAPH_WINDOW_MS: '2000', GRAPH_WRITE_BUDGET: '3', GRAPH_READ_BUDGET: '1000', BLAST_RADIUS_PER_HOUR: '10000' });
    h.sandbox.control.setThrottleLimits(SANDBOX_LIMITS);
  });

  afterAll(async () => {
    await h.close();
  });

  it('gets no 429 at all when its shared budget stays under the limits', async () => {
    const devices = seedDevices(h.sandbox, 'b', 15);
    const ids: string[] = [];
    for (const device of devices) ids.push(await submit(h, device));
    for (const id of ids) await h.until(id, 'succeeded', 60_000);

    expect(devices.map((d) => h.sandbox.control.resetPasscodeCount(d))).toEqual(devices.map(() => 1));
    expect(h.sandbox.control.calls.filter((c) => c.outcome === 429)).toEqual([]);
  }, 70_000);

  it('reads each baseline at its POST\'s slot, with the read the write\'s admission covers, not before the wait (ADR 017)', async () => {
    const devices = seedDevices(h.sandbox, 'f', 9);
    const ids: string[] = [];
    for (const device of devices) ids.push(await submit(h, device));
    for (const id of ids) await h.until(id, 'succeeded', 60_000);

    const calls = h.sandbox.control.calls;
    const gaps = devices.map((device) => {
      const post = calls.find((c) => c.method === 'POST' && c.path === `/beta/deviceManagement/managedDevices/${device}/resetPasscode`);
      const baseline = calls.filter((c) => c.method === 'GET' && c.path === `/v1.0/deviceManagement/managedDevices/${device}` && c.at <= (post?.at ?? 0));
      return { reads: baseline.length, ms: (post?.at ?? 0) - (baseline.at(-1)?.at ?? Number.NEGATIVE_INFINITY) };
    });
    // One action read before each POST, just before it: at 3 writes per 2 s most of the nine waited, up to 5 s, for
    // their slot, and none read its baseline before that wait.
    expect(gaps.map((g) => g.reads)).toEqual(devices.map(() => 1));
    expect(Math.max(...gaps.map((g) => g.ms))).toBeLessThan(500);
    expect(devices.map((d) => h.sandbox.control.resetPasscodeCount(d))).toEqual(devices.map(() => 1));
    const posted = calls.filter((c) => c.method === 'POST' && devices.some((d) => c.path.includes(d))).map((c) => c.at);
    expect(Math.max(...posted) - Math.min(...posted)).toBeGreaterThan(2_000);
  }, 70_000);

  it('retries reads answered 503 with backoff, and still resets the device once', async () => {
    const [device] = seedDevices(h.sandbox, 'c', 1);
    if (device === undefined) throw new Error('no device seeded');
    const path = `/beta/deviceManagement/managedDevices/${device}`;
    h.sandbox.control.injectFault({ method: 'GET', path, sequence: [{ kind: 'status', status: 503 }, { kind: 'status', status: 503 }] });
    const id = await submit(h, device);
    await h.until(id, 'succeeded', 45_000);

    expect(h.sandbox.control.resetPasscodeCount(device)).toBe(1);
    const reads = h.sandbox.control.calls.filter((c) => c.method === 'GET' && c.path === path);
    expect(reads.slice(0, 3).map((c) => c.outcome)).toEqual([503, 503, 200]);
    // Not at once: the job waits before each retry (BullMQ's exponential backoff, src/queue/catalog.ts).
    const [first, second, third] = reads;
    // 1 s then 2 s, each with up to 50% jitter: at least 0.5 s, then at least 1 s.
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(450);
    expect((third?.at ?? 0) - (second?.at ?? 0)).toBeGreaterThanOrEqual(950);
  }, 50_000);
});

describe('transient errors, counted per step', () => {
  let h: WorkflowHarness;

  beforeAll(async () => {
    h = await startWorkflowHarness('transient', { APPROVAL_REQUIRED: 'false', BLAST_RADIUS_PER_HOUR: '10000' });
  });

  afterAll(async () => {
    await h.close();
  });

  it('starts the count again after each step that succeeds, and uses none of the job\'s attempts', async () => {
    const [device] = seedDevices(h.sandbox, 'e', 1);
    if (device === undefined) throw new Error('no device seeded');
    // Two 503s on the device read (eligibility), then two on the action read (the baseline, at the POST's slot).
    h.sandbox.control.injectFault({ method: 'GET', path: `/beta/deviceManagement/managedDevices/${device}`, sequence: [{ kind: 'status', status: 503 }, { kind: 'status', status: 503 }] });
    h.sandbox.control.injectFault({ method: 'GET', path: `/v1.0/deviceManagement/managedDevices/${device}`, sequence: [{ kind: 'status', status: 503 }, { kind: 'status', status: 503 }] });
    const id = await submit(h, device);
    await h.until(id, 'succeeded', 45_000);
    const stored = await h.intake.store.get(id);
    expect(stored?.workflow.transientFailures).toBeUndefined();
    expect(h.sandbox.control.resetPasscodeCount(device)).toBe(1);
    // The baseline read failed after the POST's admission and before the POST: nothing was sent, and no attempt counted.
    expect(stored?.workflow.submitAttempts).toBe(1);
    // BullMQ counts the run that completes the job: 1 means no failed attempt before it.
    expect((await h.intake.queues.reset.getJob(id))?.attemptsMade).toBe(1);
  }, 60_000);

  it('waits 1 s, then 2 s, 4 s … up to 5 minutes, less up to half at random', () => {
    expect([1, 2, 3, 9, 10, 20].map((n) => transientBackoffMs(n, () => 0))).toEqual([1_000, 2_000, 4_000, 256_000, 300_000, 300_000]);
    expect(transientBackoffMs(1, () => 1)).toBe(500);
    expect(MAX_TRANSIENT_FAILURES).toBe(12);
  });
});

describe('a missing Graph permission', () => {
  let h: WorkflowHarness;

  beforeAll(async () => {
    h = await startWorkflowHarness('forbidden', { APPROVAL_REQUIRED: 'false' });
    // Before the worker's first token: tokens keep the roles they were issued with.
    h.sandbox.control.setAppRoles(
      h.sandbox.clientId,
      PRODUCT_ROLES.filter((r) => r !== 'DeviceManagementManagedDevices.PrivilegedOperations.All'),
    );
  });

  afterAll(async () => {
    await h.close();
  });

  it('fails the request at the 403, naming the permission to grant, with no reset done', async () => {
    const [device] = seedDevices(h.sandbox, 'd', 1);
    if (device === undefined) throw new Error('no device seeded');
    const id = await submit(h, device);
    await h.until(id, 'failed');

    const stored = await h.intake.store.get(id);
    const last = stored?.timeline.at(-1);
    expect(last?.reason).toContain('DeviceManagementManagedDevices.PrivilegedOperations.All');
    expect(last?.details).toEqual({ missingPermission: 'DeviceManagementManagedDevices.PrivilegedOperations.All' });
    expect(stored?.workflow.outcomeReason).toBe('graph_forbidden');
    expect(h.sandbox.control.resetPasscodeCount(device)).toBe(0);
    // Refused once and not tried again: a 403 is permanent.
    expect(posts(h).map((c) => c.outcome)).toEqual([403]);
    // What the API shows the caller.
    const shown = await h.intake.app.inject({ method: 'GET', url: `/v1/resets/${id}`, headers: h.intake.auth('operator') });
    expect(shown.json()).toMatchObject({ state: 'failed', progress: { outcomeReason: 'graph_forbidden' } });
  });
});
