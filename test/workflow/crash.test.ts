import type { RequestState } from '../../src/domain/request';
import { FIXTURE_DEVICES, startSandbox, type ActionScript, type Sandbox } from '@resetpc/sandbox';
import { waitFor } from '../support/env';
import { createTestIntake, type TestIntake } from '../support/intake';
import { createWorkerFleet, type WorkerFleet } from '../support/worker-process';

/**
 * Exactly one resetPasscode per device, whatever happens to the worker processes: the real worker process
 * (dist/workers/main.js) against the sandbox and real Redis, killed with SIGKILL while it submits and while it polls.
 * Run `npm run build` first.
 */
describe('worker processes killed with SIGKILL', () => {
  let intake: TestIntake;
  let sandbox: Sandbox;
  let fleet: WorkerFleet | undefined;
  const faults: number[] = [];

  beforeAll(async () => {
    intake = await createTestIntake('crash', { RATE_LIMIT_MAX: '100000' });
    sandbox = await startSandbox({ smtpPort: false });
  });

  afterEach(async () => {
    await fleet?.stop();
    fleet = undefined;
    for (const id of faults.splice(0)) sandbox.control.faults.remove(id);
  });

  afterAll(async () => {
    await sandbox.close();
    await intake.close();
  });

  function startFleet(env: Record<string, string> = {}): WorkerFleet {
    fleet = createWorkerFleet({ sandbox, redisUrl: intake.config.REDIS_URL, prefix: intake.prefix, resetQueue: intake.queues.reset, env });
    return fleet;
  }

  /** `n` Android Enterprise dedicated devices (device passcode, no approval needed here), each with its own ids. */
  function seedDevices(label: string, n: number, script: ActionScript): string[] {
    const template = sandbox.control.device(FIXTURE_DEVICES.androidDedicated)?.device;
    if (template === undefined) throw new Error('the fixture device is missing');
    return Array.from({ length: n }, (_, i) => {
      const suffix = `${label}${String(i).padStart(4, '0')}`;
      const id = `c0000000-0000-4000-8000-${suffix.padStart(12, '0')}`;
      sandbox.control.upsertDevice({
        device: { ...template, id, deviceName: `KIOSK-${suffix}`, serialNumber: `SBXK${suffix}`, azureADDeviceId: id.replace(/^c/, 'a') },
        resetScript: script,
      });
      return id;
    });
  }

  async function submit(deviceId: string): Promise<string> {
    const res = await intake.app.inject({ method: 'POST', url: '/v1/resets', headers: intake.auth('submitter'), payload: { device: { id: deviceId }, requestedBy: 'anna@contoso.com' } });
    expect(res.statusCode).toBe(202);
    return res.json<{ id: string }>().id;
  }

  async function statesOf(ids: readonly string[]): Promise<(RequestState | undefined)[]> {
    const pipeline = intake.redis.pipeline();
    for (const id of ids) pipeline.hget(intake.store.keys.request(id), 'state');
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([, value]) => (value ?? undefined) as RequestState | undefined);
  }

  const FINAL: ReadonlySet<string> = new Set(['succeeded', 'failed', 'ineligible', 'rejected', 'expired', 'timed_out', 'cancelled']);

  /** Waits until `check` holds; on timeout, fails with where every request is and what the workers said. */
  async function until(what: string, timeoutMs: number, ids: readonly string[], check: () => boolean | Promise<boolean>): Promise<void> {
    try {
      await waitFor(check, timeoutMs, what);
    } catch (err) {
      const states = await statesOf(ids);
      const stuck = await Promise.all(ids.filter((_, i) => !FINAL.has(states[i] ?? '')).slice(0, 3).map((id) => intake.store.get(id)));
      const jobs = await Promise.all(stuck.map(async (s) => (s === undefined ? undefined : intake.queues.reset.getJob(s.request.id))));
      const jobInfo = jobs.map((j) => (j === undefined ? 'no job' : { id: j.id, failedReason: j.failedReason, attemptsMade: j.attemptsMade, stalledCounter: j.stalledCounter, finishedOn: j.finishedOn }));
      const tally = states.reduce<Record<string, number>>((acc, s) => ({ ...acc, [String(s)]: (acc[String(s)] ?? 0) + 1 }), {});
      throw new Error(
        `${(err as Error).message}\nstates: ${JSON.stringify(tally)}\nunfinished (up to 3): ${JSON.stringify(stuck.map((s) => ({ timeline: s?.timeline.slice(-4), workflow: s?.workflow })))}\njobs: ${JSON.stringify(jobInfo)}\nworkers:\n${fleet?.output() ?? ''}`,
        { cause: err },
      );
    }
  }

  const resetPosts = (deviceIds: ReadonlySet<string>) =>
    sandbox.control.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/resetPasscode') && deviceIds.has(c.path.split('/').at(-2) ?? ''));
  const actionReads = (deviceIds: ReadonlySet<string>) =>
    sandbox.control.calls.filter((c) => c.method === 'GET' && c.path.startsWith('/v1.0/deviceManagement/managedDevices/') && deviceIds.has(c.path.split('/').at(-1) ?? ''));

  it('makes exactly one resetPasscode per device, and every request succeeds, when workers are killed during submit and during polling', async () => {
    const devices = seedDevices('a', 48, { outcome: 'done', activeAfterMs: 300, finalAfterMs: 3_000 });
    const ours = new Set(devices);
    // Slow answers keep POSTs and polls in flight, so each kill lands inside a Graph call.
    faults.push(sandbox.control.injectFault({ method: 'POST', path: '/beta/deviceManagement/managedDevices/*/resetPasscode', fault: { kind: 'latency', ms: 300 } }));
    faults.push(sandbox.control.injectFault({ method: 'GET', path: '/v1.0/deviceManagement/managedDevices/*', fault: { kind: 'latency', ms: 150 } }));
    const workers = startFleet();
    const [first, second] = await workers.start(2);
    if (first === undefined || second === undefined) throw new Error('two workers should have started');

    const ids: string[] = [];
    for (const device of devices) ids.push(await submit(device));
    const count = async (state: RequestState): Promise<number> => (await statesOf(ids)).filter((s) => s === state).length;

    // Kill 1: as soon as the first POSTs reach the sandbox, while some are still in flight.
    await until('the first resetPasscode POSTs to be in flight', 30_000, ids, () => resetPosts(ours).length >= 4 && resetPosts(ours).some((c) => c.outcome === 'pending'));
    const inFlightAtFirstKill = resetPosts(ours).filter((c) => c.outcome === 'pending').length;
    await workers.restart(first);

    // Kill 2: the other original worker, while requests wait for their devices and polls are in flight.
    await until('requests to be awaiting their devices, with polls in flight', 30_000, ids, async () => (await count('awaiting_device')) >= 10 && actionReads(ours).some((c) => c.outcome === 'pending'));
    const awaitingAtSecondKill = await count('awaiting_device');
    await workers.restart(second);

    await until('every request to be final', 60_000, ids, async () => (await statesOf(ids)).every((s) => FINAL.has(s ?? '')));
    expect(await statesOf(ids)).toEqual(ids.map(() => 'succeeded'));
    expect(devices.map((d) => sandbox.control.resetPasscodeCount(d))).toEqual(devices.map(() => 1));
    expect(resetPosts(ours)).toHaveLength(devices.length);
    expect(workers.kills).toBe(2);
    expect(inFlightAtFirstKill).toBeGreaterThan(0);
    expect(awaitingAtSecondKill).toBeGreaterThanOrEqual(10);
    // The kills landed on work in hand: those jobs were taken over by another process once their locks lapsed.
    const takenOver = (await Promise.all(ids.map((id) => intake.queues.reset.getJob(id)))).filter((job) => (job?.stalledCounter ?? 0) > 0).length;
    expect(takenOver).toBeGreaterThan(0);
    process.stdout.write(
      `[crash] ${String(devices.length)} devices, ${String(workers.kills)} kills, ${String(inFlightAtFirstKill)} POSTs in flight at the first, ${String(awaitingAtSecondKill)} requests awaiting their devices at the second, ${String(takenOver)} requests taken over\n`,
    );
  }, 100_000);

  it('follows the action of a POST in flight when its worker was killed, instead of posting again', async () => {
    const [device] = seedDevices('b', 1, { outcome: 'done', activeAfterMs: 50, finalAfterMs: 300 });
    if (device === undefined) throw new Error('no device seeded');
    // Graph takes 4 s to answer this POST, and acts on it even though the worker is gone by then. The settle time
    // (SUBMIT_SETTLE_SECONDS) covers it: the replacement, which takes over after ~2 s, must wait for the action.
    faults.push(sandbox.control.injectFault({ method: 'POST', path: `/beta/deviceManagement/managedDevices/${device}/resetPasscode`, sequence: [{ kind: 'latency', ms: 4_000 }] }));
    const workers = startFleet({ SUBMIT_SETTLE_SECONDS: '8' });
    const [worker] = await workers.start(1);
    if (worker === undefined) throw new Error('no worker started');
    const id = await submit(device);

    await until('the resetPasscode POST to be in flight', 20_000, [id], () => resetPosts(new Set([device])).some((c) => c.outcome === 'pending'));
    await workers.restart(worker);
    await until('the request to be final', 40_000, [id], async () => FINAL.has((await statesOf([id]))[0] ?? ''));

    const stored = await intake.store.get(id);
    expect(stored?.request.state).toBe('succeeded');
    expect(sandbox.control.resetPasscodeCount(device)).toBe(1);
    expect(resetPosts(new Set([device]))).toHaveLength(1);
    expect(stored?.timeline.map((t) => t.reason)).toContain('the resetPasscode action exists; following it');
    expect(stored?.workflow.submitAttempts).toBe(1);
    expect((await intake.queues.reset.getJob(id))?.stalledCounter).toBe(1);
  }, 60_000);

  it('finishes a request whose worker was killed during its submit and again during its polling', async () => {
    // The device reports done 8 s after the POST: time for a takeover and a second kill while the request polls.
    const [device] = seedDevices('c', 1, { outcome: 'done', activeAfterMs: 200, finalAfterMs: 8_000 });
    if (device === undefined) throw new Error('no device seeded');
    const only = new Set([device]);
    faults.push(sandbox.control.injectFault({ method: 'POST', path: `/beta/deviceManagement/managedDevices/${device}/resetPasscode`, sequence: [{ kind: 'latency', ms: 1_000 }] }));
    const workers = startFleet();
    const [worker] = await workers.start(1);
    if (worker === undefined) throw new Error('no worker started');
    const id = await submit(device);

    await until('the resetPasscode POST to be in flight', 20_000, [id], () => resetPosts(only).some((c) => c.outcome === 'pending'));
    const replacement = await workers.restart(worker);
    await until('the request to await its device', 20_000, [id], async () => (await statesOf([id]))[0] === 'awaiting_device');

    // The next poll hangs in Graph for 3 s: the replacement is surely inside it when it is killed.
    const slowPoll = sandbox.control.injectFault({ method: 'GET', path: `/v1.0/deviceManagement/managedDevices/${device}`, fault: { kind: 'latency', ms: 3_000 } });
    faults.push(slowPoll);
    const readsBefore = actionReads(only).length;
    await until('a poll to be in flight', 20_000, [id], () => actionReads(only).slice(readsBefore).some((c) => c.outcome === 'pending'));
    sandbox.control.faults.remove(slowPoll);
    await workers.restart(replacement);

    // The device reports done ~8 s after the POST; the poll backoff adds a few seconds at most.
    await until('the request to be final', 20_000, [id], async () => FINAL.has((await statesOf([id]))[0] ?? ''));
    expect((await intake.store.get(id))?.request.state).toBe('succeeded');
    expect(sandbox.control.resetPasscodeCount(device)).toBe(1);
    expect(workers.kills).toBe(2);
  }, 60_000);
});
