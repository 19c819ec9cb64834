import { Worker } from 'bullmq';
import { catalog } from '../../src/queue/catalog';
import { createJobScheduler } from '../../src/queue/scheduler';
import { createRedis } from '../../src/redis/connection';
import { WorkflowStore } from '../../src/store/workflow-store';
import { JOBLESS_GRACE_MS, endJobless } from '../../workers/reset/jobless';
import { testRedisUrl } from '../support/env';
import { createTestIntake, type TestIntake } from '../support/intake';
import { keptLog } from '../support/kept-log';
import { storeNewRequest } from '../support/stored-request';

/**
 * The step machine runs only in a job: an active request without a live one would wait forever and hold its device.
 * That happens when a process stops between an operator's retry moving the request and removing the last attempt's
 * finished job and queueing its own (the retry's put-back cannot run then). Each worker process ends such requests
 * `failed`, with a reason that says to retry (workers/reset/jobless.ts). It never queues the job again: the finished
 * job may be pruned days later, and a job brought back then, without the request's locks, could reset a device nobody
 * asked about any more (a second review found exactly that in a first version that requeued).
 */
describe('an active request without a live reset job', () => {
  let t: TestIntake;
  let workflow: WorkflowStore;
  const workerRedis = createRedis(testRedisUrl(), 'worker');

  beforeAll(async () => {
    t = await createTestIntake('jobless');
    workflow = new WorkflowStore(t.redis, t.store);
  });

  afterAll(async () => {
    workerRedis.disconnect();
    await t.close();
  });

  const later = () => Date.now() + JOBLESS_GRACE_MS + 1_000;
  const deps = (log = keptLog()) => ({ store: workflow, queues: t.queues, log });
  const index = () => ({ redis: t.redis, keys: t.store.keys });

  /** A request whose job ran and completed, ending the request failed: the state a retry starts from. */
  async function failedWithFinishedJob(serial: string) {
    const request = await storeNewRequest(t.store, serial);
    await createJobScheduler(t.queues).scheduleReset(request.id);
    const worker = new Worker(catalog.reset.queue, async () => {
      expect(await workflow.transition(request, 'checking_eligibility', { actor: 'worker', reason: 'checking' })).toBe(true);
      expect(await workflow.transition({ ...request, state: 'checking_eligibility' }, 'failed', { actor: 'worker', reason: 'Graph kept failing' })).toBe(true);
    }, { connection: workerRedis, prefix: t.prefix });
    await new Promise<void>((done) => worker.once('completed', () => { done(); }));
    await worker.close();
    expect(await (await t.queues.reset.getJob(request.id))?.getState()).toBe('completed');
    return request;
  }

  it('ends failed, locks released, when a retry stopped after moving it and before its job: the finished job does not count', async () => {
    const request = await failedWithFinishedJob('JOBLESS-RETRY');
    // The retry cut short: moved and locked, and the process stopped before it removed the old job and queued its own.
    expect(await workflow.transition({ ...request, state: 'failed' }, 'checking_eligibility', { actor: 'operator', reason: 'retried by operator (attempt 2)' }, { attempt: 2 })).toBe(true);
    expect((await t.store.relock(request.id, request)).ok).toBe(true);
    // Untouched: an active request with a live job, and a finished one.
    const live = await storeNewRequest(t.store, 'JOBLESS-LIVE');
    await createJobScheduler(t.queues).scheduleReset(live.id);
    const done = await storeNewRequest(t.store, 'JOBLESS-DONE');
    expect(await workflow.transition(done, 'cancelled', { actor: 'operator', reason: 'cancelled' })).toBe(true);

    const log = keptLog();
    expect(await endJobless(deps(log), index(), later)).toEqual([request.id]);
    const after = await t.store.get(request.id);
    expect(after?.request.state).toBe('failed');
    expect(after?.workflow.outcomeReason).toBe('internal_error');
    expect(after?.timeline.at(-1)).toMatchObject({ from: 'checking_eligibility', to: 'failed', reason: expect.stringMatching(/nothing was sent to Graph for this attempt: retry it/) as unknown });
    expect(await t.redis.exists(t.store.keys.deviceLock(request.device))).toBe(0);
    expect(await (await t.queues.reset.getJob(request.id))?.getState()).toBe('completed'); // not brought back
    expect((await t.store.get(live.id))?.request.state).toBe('received');
    expect(log.lines).toContainEqual({ level: 'warn', obj: { requestId: request.id, state: 'checking_eligibility' }, msg: 'an active request had no live reset job; it is marked failed' });
    expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    // Its people are told, as for any failure, and the pass's note of it is gone.
    expect(await t.queues.notify.getJob(`${request.id}|failed|email|a2`)).toBeDefined();
    expect(await t.redis.sismember(t.store.keys.joblessOutbox, request.id)).toBe(0);

    // The operator can retry it now.
    expect(await endJobless(deps(), index(), later)).toEqual([]);
  });

  it('says to look at the device first when the reset may have been sent, and leaves a request changed within the grace period', async () => {
    const sent = await storeNewRequest(t.store, 'JOBLESS-SENT');
    expect(await workflow.transition(sent, 'checking_eligibility', { actor: 'worker', reason: 'checking' })).toBe(true);
    expect(await workflow.transition({ ...sent, state: 'checking_eligibility' }, 'approved', { actor: 'worker', reason: 'ok' })).toBe(true);
    expect(await workflow.transition({ ...sent, state: 'approved' }, 'submitting', { actor: 'worker', reason: 'submitting' })).toBe(true);
    const fresh = await storeNewRequest(t.store, 'JOBLESS-FRESH');
    expect(await workflow.transition(fresh, 'checking_eligibility', { actor: 'operator', reason: 'retried' })).toBe(true);

    expect(await endJobless(deps(), index(), () => Date.now())).toEqual([]);
    expect((await endJobless(deps(), index(), later)).sort()).toEqual([sent.id, fresh.id].sort());
    expect((await t.store.get(sent.id))?.timeline.at(-1)).toMatchObject({ to: 'failed', reason: expect.stringMatching(/may have been sent: check the device in Intune before retrying/) as unknown });
  });

  it('leaves a request that was ended and retried between its read and its move: the new attempt is not ended', async () => {
    const request = await storeNewRequest(t.store, 'JOBLESS-REATTEMPT');
    expect(await workflow.transition(request, 'checking_eligibility', { actor: 'operator', reason: 'retried (attempt 2)' }, { attempt: 2 })).toBe(true);
    // Long unchanged, so that the grace period has passed whatever the clock.
    await t.redis.hset(t.store.keys.request(request.id), 'updatedAt', '2020-01-01T00:00:00.000Z');
    // The race: after this pass reads the request, another process's pass ends it and an operator retries it at once
    // (attempt 3, with its own job), back in the state this pass read.
    class RacingStore extends WorkflowStore {
      override async load(id: string) {
        const read = await super.load(id);
        if (id === request.id && read !== undefined) {
          const current = read.request;
          expect(await workflow.transition(current, 'failed', { actor: 'worker', reason: 'its job was lost' }, { attempt: 2, outcomeReason: 'internal_error' })).toBe(true);
          expect(await workflow.transition({ ...current, state: 'failed' }, 'checking_eligibility', { actor: 'operator', reason: 'retried (attempt 3)' }, { attempt: 3 })).toBe(true);
          await createJobScheduler(t.queues).scheduleReset(id);
        }
        return read;
      }
    }
    const log = keptLog();
    const ended = await endJobless({ store: new RacingStore(t.redis, t.store), queues: t.queues, log }, index(), later);
    expect(ended).not.toContain(request.id);
    const after = await t.store.get(request.id);
    expect(after?.request.state).toBe('checking_eligibility');
    expect(after?.workflow.attempt).toBe(3);
    expect(log.lines.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it('queues the notifications of a request a pass ended just before its process stopped', async () => {
    // A pass noted it and moved it, and its process stopped before the notifications were queued.
    const request = await storeNewRequest(t.store, 'JOBLESS-OUTBOX');
    await t.redis.sadd(t.store.keys.joblessOutbox, request.id);
    expect(await workflow.transition(request, 'failed', { actor: 'worker', reason: 'its job was lost' }, { outcomeReason: 'internal_error' })).toBe(true);
    // And one a pass noted but did not move (it stopped before the move): still active, with its job.
    const unmoved = await storeNewRequest(t.store, 'JOBLESS-OUTBOX-UNMOVED');
    await createJobScheduler(t.queues).scheduleReset(unmoved.id);
    await t.redis.sadd(t.store.keys.joblessOutbox, unmoved.id);
    expect(await t.queues.notify.getJob(`${request.id}|failed|email`)).toBeUndefined();

    await endJobless(deps(), index(), later);
    expect(await t.queues.notify.getJob(`${request.id}|failed|email`)).toBeDefined();
    expect(await t.queues.notify.getJob(`${unmoved.id}|failed|email`)).toBeUndefined();
    expect((await t.store.get(unmoved.id))?.request.state).toBe('received');
    expect(await t.redis.scard(t.store.keys.joblessOutbox)).toBe(0);
  });

  it('ends one in received too, passes over a record it cannot read, and ends each request once when two passes race', async () => {
    // Never started: its job was removed (by hand in bull-board, say) before the first step.
    const received = await storeNewRequest(t.store, 'JOBLESS-RECEIVED');
    // A record this version cannot read (a newer version's), in the first state looked at: the pass goes on past it.
    const unreadable = await storeNewRequest(t.store, 'JOBLESS-UNREADABLE');
    const key = t.store.keys.request(unreadable.id);
    const newer = JSON.stringify({ ...(JSON.parse((await t.redis.hget(key, 'json')) ?? '{}') as Record<string, unknown>), v: 99 });
    await t.redis.hset(key, 'json', newer);
    const checking = await storeNewRequest(t.store, 'JOBLESS-CHECKING');
    expect(await workflow.transition(checking, 'checking_eligibility', { actor: 'worker', reason: 'checking' })).toBe(true);

    // Two worker processes' passes at the same moment.
    const [logA, logB] = [keptLog(), keptLog()];
    const [a, b] = await Promise.all([endJobless(deps(logA), index(), later), endJobless(deps(logB), index(), later)]);
    expect([...a, ...b].sort()).toEqual([received.id, checking.id].sort());
    const warned = [...logA.lines, ...logB.lines].filter((l) => l.level === 'warn').map((l) => (l.obj as { requestId: string }).requestId);
    expect(warned.sort()).toEqual([received.id, checking.id].sort());
    for (const id of [received.id, checking.id]) {
      const after = await t.store.get(id);
      expect(after?.request.state).toBe('failed');
      expect(after?.timeline.filter((e) => e.to === 'failed')).toHaveLength(1);
      expect(after?.timeline.at(-1)?.reason).toMatch(/nothing was sent to Graph for this attempt: retry it/);
    }
    expect(await t.redis.exists(t.store.keys.deviceLock(received.device))).toBe(0);
    // The unreadable one is left as it was, and named at error level, without its content.
    expect(await t.redis.hget(key, 'json')).toBe(newer);
    const errors = [...logA.lines, ...logB.lines].filter((l) => l.level === 'error');
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors[0]?.obj).toMatchObject({ requestId: unreadable.id, state: 'received', key, version: 99, problem: 'unknown_version' });
    expect(JSON.stringify(errors)).not.toContain('anna@contoso.com');
  });
});
