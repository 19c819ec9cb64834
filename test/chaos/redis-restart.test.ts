import { startChaosRedis, type ChaosRedis } from '../support/chaos-redis';
import { ROOMY_BUDGET, ROOMY_THROTTLE, chaosScale, report, startChaosRun, type ChaosRun, type SubmitAnswer } from '../support/chaos-run';

/**
 * Fault scenario 2 (docs/reliability.md): Redis stops in the middle of a run and comes back on the same port with
 * its AOF. The intake must refuse (503), never accept, while it is down; what it accepted must all finish; the
 * intake and worker processes must carry on without being restarted.
 */
describe('chaos: Redis stopped and restarted mid-run', () => {
  let redis: ChaosRedis;
  let run: ChaosRun;
  const total = Math.round(120 * chaosScale());
  const outageMs = 5_000;

  beforeAll(async () => {
    redis = await startChaosRedis();
    run = await startChaosRun({
      label: 'redisdown',
      redisUrl: redis.url,
      intakes: 2,
      workers: 2,
      workerEnv: ROOMY_BUDGET,
      sandbox: { throttleLimits: ROOMY_THROTTLE },
    });
  }, 60_000);

  afterAll(async () => {
    await run.close();
    await redis.close();
  });

  const readiness = async (url: string): Promise<number> => {
    try {
      return (await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(3000) })).status;
    } catch {
      return 0;
    }
  };

  it('answers 503 and never 202 while Redis is down, then finishes every accepted request, without restarting a process', async () => {
    const devices = run.seedDevices(total, { outcome: 'done', activeAfterMs: 300, finalAfterMs: 2_000 });
    const answers: SubmitAnswer[] = [];
    const submitting = run.submitAll(devices, 4, (a) => answers.push(a));

    // Stop Redis once a third of the requests were accepted, with work in every stage.
    await run.until('a third of the requests to be accepted', 60_000, [], () => answers.filter((a) => a.status === 202).length >= total / 3);
    await redis.stop();
    const downAt = Date.now();
    await new Promise((r) => setTimeout(r, 1_000));
    const readyWhileDown = await Promise.all(run.intakes.running().map((i) => readiness(i.url)));
    await new Promise((r) => setTimeout(r, outageMs - 1_000));
    const restartAt = Date.now();
    await redis.start();
    const upAt = Date.now();

    const ids = await submitting;
    const states = await run.states(ids);
    const missing = ids.map((id, i) => ({ id, device: devices[i], state: states[i] })).filter((r) => r.state === undefined);
    if (missing.length > 0) {
      const timeline = missing.map((m) => ({ ...m, answers: answers.filter((a) => a.device === m.device).map((a) => ({ status: a.status, code: a.code, id: a.id, msFromStop: a.at - downAt, intake: a.intake })) }));
      throw new Error(`requests accepted but not in Redis after the restart (stop at 0 ms, restart at ${String(restartAt - downAt)} ms): ${JSON.stringify(timeline)}`);
    }
    await run.untilFinal(ids, 120_000 * chaosScale());
    const doneAt = Date.now();

    // While Redis was down (with 200 ms for answers already on the wire): refusals only.
    const during = answers.filter((a) => a.at > downAt + 200 && a.at < restartAt);
    const refused = during.filter((a) => a.status === 503).length;
    expect(during.filter((a) => a.status === 202)).toEqual([]);
    expect(refused).toBeGreaterThan(0);
    expect(during.filter((a) => a.status !== 503)).toEqual([]);
    expect(readyWhileDown.every((s) => s === 503)).toBe(true);
    // Everything accepted, before and after, finished once.
    expect(new Set(ids).size).toBe(total);
    // A request stored although its answer was a 503 is found again by the same Idempotency-Key (a 202 for it), so a
    // key is only given up (taken afresh after STUCK_KEY_MS) when nothing was stored: never a second request.
    expect(await run.tally(ids)).toEqual({ succeeded: total });
    // Every device exactly one resetPasscode.
    const unexplained = devices.filter((d) => run.sandbox.control.resetPasscodeCount(d) !== 1);
    if (unexplained.length > 0) {
      const detail = await Promise.all(
        unexplained.map(async (d) => {
          const id = ids[devices.indexOf(d)] ?? '';
          const stored = await run.store.get(id);
          const calls = run.sandbox.control.calls.filter((c) => c.path.includes(d)).map((c) => `${String(c.at - downAt)}ms ${c.method} ${c.path.split('/').at(-1) ?? ''} ${c.query.slice(0, 20)} ${String(c.outcome)}`);
          const tried = answers.filter((a) => a.device === d).map((a) => `${String(a.at - downAt)}ms ${a.intake} ${String(a.status)} ${a.code ?? ''} ${a.id ?? ''}`);
          return { device: d, id, answers: tried, stopAt: 0, restartAt: restartAt - downAt, upAt: upAt - downAt, calls, timeline: stored?.timeline.map((t) => `${String(Date.parse(t.at) - downAt)}ms ${t.to}: ${t.reason}`), workflow: stored?.workflow };
        }),
      );
      throw new Error(`devices with more than one resetPasscode: ${JSON.stringify(detail, null, 1)}\nworkers:\n${run.workers.output().slice(-6000)}`);
    }
    expect(unexplained).toEqual([]);
    // The same processes throughout: none exited, none was started again.
    expect(run.intakes.all.map((i) => i.running)).toEqual([true, true]);
    expect(run.workers.all.map((w) => w.running)).toEqual([true, true]);
    const firstAccepted = answers.find((a) => a.at > upAt && a.status === 202);
    expect(firstAccepted).toBeDefined();
    const acceptedAfter = answers.filter((a) => a.at > upAt && a.status === 202).length;
    expect(acceptedAfter).toBeGreaterThan(0);
    report('redis-restart', {
      requests: total,
      acceptedBeforeOutage: answers.filter((a) => a.at <= downAt && a.status === 202).length,
      acceptedAfterRestart: acceptedAfter,
      outageMs: restartAt - downAt,
      answersDuringOutage: during.length,
      refused503: refused,
      accepted202DuringOutage: 0,
      readyWhileDown,
      firstAcceptedAfterRestartMs: (firstAccepted?.at ?? upAt) - upAt,
      allFinalAfterRestartSeconds: Math.round((doneAt - upAt) / 1000),
      // Keys whose first call stored nothing and stopped without an answer: the client took a new key after 5 s.
      stuckIdempotencyKeys: run.submitStats.stuckKeys,
      storedWithout202: run.submitStats.storedWithout202,
      leftoverReservations: run.submitStats.leftoverReservations,
    });
  }, 300_000 * chaosScale());
});
