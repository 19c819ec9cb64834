import { createJobScheduler } from '../../src/queue/scheduler';
import { WorkflowStore } from '../../src/store/workflow-store';
import { createTestIntake, type TestIntake } from '../support/intake';
import { storeNewRequest } from '../support/stored-request';
import { REQUEUE_GRACE_MS, requeueJobless } from '../../workers/reset/requeue';
import { keptLog } from '../support/kept-log';

/**
 * The step machine runs only in a job: an active request without one would wait forever and hold its device. That
 * happens when a process stops between an operator's retry moving the request and queueing its job (the retry's own
 * put-back cannot run then). Each worker process looks for such requests and queues their job again
 * (workers/reset/requeue.ts); the runbook's "A request active with no job" relies on it.
 */
describe('an active request whose reset job is gone', () => {
  let t: TestIntake;
  let workflow: WorkflowStore;

  beforeAll(async () => {
    t = await createTestIntake('requeue');
    workflow = new WorkflowStore(t.redis, t.store);
  });

  afterAll(async () => {
    await t.close();
  });

  const later = () => Date.now() + REQUEUE_GRACE_MS + 1_000;

  it('gets its job again after a retry whose process stopped before queueing it, and only that request does', async () => {
    const jobs = createJobScheduler(t.queues);
    // A retry cut short: the last attempt's job removed and the request moved, then the process stopped.
    const orphan = await storeNewRequest(t.store, 'REQUEUE-ORPHAN');
    expect(await workflow.transition(orphan, 'checking_eligibility', { actor: 'worker', reason: 'checking' })).toBe(true);
    expect(await workflow.transition({ ...orphan, state: 'checking_eligibility' }, 'failed', { actor: 'worker', reason: 'Graph kept failing' })).toBe(true);
    expect(await jobs.removeReset(orphan.id)).toBe(true);
    expect(await workflow.transition({ ...orphan, state: 'failed' }, 'checking_eligibility', { actor: 'operator', reason: 'retried by operator (attempt 2)' }, { attempt: 2 })).toBe(true);
    // Untouched: an active request with its job, and a finished one without.
    const queued = await storeNewRequest(t.store, 'REQUEUE-QUEUED');
    await jobs.scheduleReset(queued.id);
    const queuedAt = (await t.queues.reset.getJob(queued.id))?.timestamp;
    const finished = await storeNewRequest(t.store, 'REQUEUE-FINISHED');
    expect(await workflow.transition(finished, 'cancelled', { actor: 'operator', reason: 'cancelled' })).toBe(true);

    const log = keptLog();
    expect(await requeueJobless({ redis: t.redis, keys: t.store.keys, queues: t.queues, log, now: later })).toEqual([orphan.id]);
    expect(await (await t.queues.reset.getJob(orphan.id))?.getState()).toBe('waiting');
    expect((await t.queues.reset.getJob(orphan.id))?.data).toEqual({ requestId: orphan.id });
    expect((await t.queues.reset.getJob(queued.id))?.timestamp).toBe(queuedAt);
    expect(await t.queues.reset.getJob(finished.id)).toBeUndefined();
    expect(log.lines).toEqual([{ level: 'warn', obj: { requestId: orphan.id, state: 'checking_eligibility' }, msg: 'an active request had no reset job; it was queued again' }]);

    // A second pass finds nothing more to do.
    expect(await requeueJobless({ redis: t.redis, keys: t.store.keys, queues: t.queues, log: keptLog(), now: later })).toEqual([]);
  });

  it('leaves a request changed within the grace period to whoever changed it', async () => {
    const fresh = await storeNewRequest(t.store, 'REQUEUE-FRESH');
    expect(await workflow.transition(fresh, 'checking_eligibility', { actor: 'operator', reason: 'retried' })).toBe(true);
    expect(await requeueJobless({ redis: t.redis, keys: t.store.keys, queues: t.queues, log: keptLog(), now: () => Date.now() })).toEqual([]);
    expect(await t.queues.reset.getJob(fresh.id)).toBeUndefined();
  });
});
