import { Worker } from 'bullmq';
import { AppError } from '../../src/app/errors';
import { createRequestActions } from '../../src/app/request-actions';
import { catalog, InvalidJobPayloadError } from '../../src/queue/catalog';
import { createQueues, type Queues } from '../../src/queue/queues';
import { createJobScheduler } from '../../src/queue/scheduler';
import { createRedis } from '../../src/redis/connection';
import { StoreUnavailableError } from '../../src/store/errors';
import { WorkflowStore } from '../../src/store/workflow-store';
import { testRedisUrl } from '../support/env';
import { createTestIntake, type TestIntake } from '../support/intake';
import { storeNewRequest } from '../support/stored-request';
import { keptLog } from '../support/kept-log';

/**
 * An operator's retry moves a failed request back to `checking_eligibility` and queues its job. When Redis stops
 * answering between the two, the request must not be left active without a job: it would wait forever, hold its
 * device lock, and refuse the next retry as `not_retryable`. The queue's failure is the store's (503 at the edge), not
 * a bare BullMQ error answered as a 500.
 */
describe('an operator retry whose job cannot be queued', () => {
  let t: TestIntake;
  let workflow: WorkflowStore;
  let cut: Queues;
  const cutRedis = createRedis(testRedisUrl(), 'producer');

  beforeAll(async () => {
    t = await createTestIntake('retry-unqueued');
    workflow = new WorkflowStore(t.redis, t.store);
    // Queues on a connection that answered once and is then closed: every add fails at once, as in an outage.
    cut = createQueues(cutRedis, t.prefix);
    await cut.reset.waitUntilReady();
    cutRedis.disconnect();
  });

  afterAll(async () => {
    await cut.close().catch(() => undefined);
    await t.close();
  });

  it('puts the request back as failed, with its locks released and a timeline entry that says so, and a later retry works', async () => {
    const request = await storeNewRequest(t.store, 'RETRY-UNQUEUED-1');
    expect(await workflow.transition(request, 'checking_eligibility', { actor: 'worker', reason: 'checking' })).toBe(true);
    const checking = { ...request, state: 'checking_eligibility' as const };
    expect(await workflow.transition(checking, 'failed', { actor: 'worker', reason: 'Graph kept failing' }, { outcomeReason: 'graph_unavailable' })).toBe(true);

    const healthy = createJobScheduler(t.queues);
    const broken = createRequestActions({ store: workflow, requests: t.store, jobs: { ...healthy, scheduleReset: createJobScheduler(cut).scheduleReset }, allowedApprovers: [] });
    await expect(broken.retry(request.id, 'operator', keptLog())).rejects.toBeInstanceOf(StoreUnavailableError);

    const after = await t.store.get(request.id);
    expect(after?.request.state).toBe('failed');
    expect(after?.workflow.outcomeReason).toBe('graph_unavailable');
    expect(after?.timeline.at(-1)).toMatchObject({ from: 'checking_eligibility', to: 'failed', actor: 'operator', reason: expect.stringMatching(/retry was not started: its job could not be queued/) as unknown });
    expect(await t.redis.exists(t.store.keys.deviceLock(request.device))).toBe(0);

    const actions = createRequestActions({ store: workflow, requests: t.store, jobs: healthy, allowedApprovers: [] });
    await expect(actions.retry(request.id, 'operator', keptLog())).resolves.toEqual({ id: request.id, state: 'checking_eligibility' });
    expect((await t.queues.reset.getJob(request.id))?.data).toEqual({ requestId: request.id });
  });

  it('says so at error level when the request cannot be put back either (it is left active with no job)', async () => {
    const request = await storeNewRequest(t.store, 'RETRY-UNQUEUED-2');
    expect(await workflow.transition(request, 'checking_eligibility', { actor: 'worker', reason: 'checking' })).toBe(true);
    expect(await workflow.transition({ ...request, state: 'checking_eligibility' }, 'failed', { actor: 'worker', reason: 'Graph kept failing' })).toBe(true);

    // The retry's own transition reaches Redis; the one that would undo it meets the outage.
    const down = new WorkflowStore(cutRedis, t.store);
    let transitions = 0;
    const store = new Proxy(workflow, {
      get: (target, prop: keyof WorkflowStore) =>
        prop === 'transition' ? (...args: Parameters<WorkflowStore['transition']>) => (transitions++ === 0 ? target : down).transition(...args) : (target[prop] as unknown),
    });
    const log = keptLog();
    const broken = createRequestActions({ store, requests: t.store, jobs: { ...createJobScheduler(t.queues), scheduleReset: createJobScheduler(cut).scheduleReset }, allowedApprovers: [] });
    await expect(broken.retry(request.id, 'operator', log)).rejects.toBeInstanceOf(StoreUnavailableError);

    expect((await t.store.get(request.id))?.request.state).toBe('checking_eligibility');
    expect(log.lines).toEqual([expect.objectContaining({ level: 'error', obj: expect.objectContaining({ requestId: request.id }) as unknown, msg: expect.stringMatching(/could not be put back to failed; it may be active with no job/) as unknown })]);
  });
});

/**
 * A retry that comes while the last attempt's job is still running (the worker has written the final state and not
 * yet completed the job): BullMQ does not remove a locked job (`Queue.remove` answers 0), and a new job under the same
 * id would not be added. The retry is refused (409 `request_changed`), with the request put back to failed and its device
 * free, and works once the job has finished.
 */
describe('an operator retry while the last job still runs', () => {
  let t: TestIntake;
  let worker: Worker;
  let finish: () => void = () => undefined;
  const workerRedis = createRedis(testRedisUrl(), 'worker');

  beforeAll(async () => {
    t = await createTestIntake('retry-locked');
  });

  afterAll(async () => {
    finish();
    await worker.close();
    workerRedis.disconnect();
    await t.close();
  });

  it('is refused with the request left failed and its device free, and the next retry queues the new attempt', async () => {
    const workflow = new WorkflowStore(t.redis, t.store);
    const request = await storeNewRequest(t.store, 'RETRY-LOCKED-1');
    const jobs = createJobScheduler(t.queues);
    await jobs.scheduleReset(request.id);
    const running = new Promise<void>((started) => {
      worker = new Worker(catalog.reset.queue, () => {
        started();
        return new Promise<void>((done) => (finish = done));
      }, { connection: workerRedis, prefix: t.prefix });
    });
    await running;
    expect(await workflow.transition(request, 'checking_eligibility', { actor: 'worker', reason: 'checking' })).toBe(true);
    expect(await workflow.transition({ ...request, state: 'checking_eligibility' }, 'failed', { actor: 'worker', reason: 'Graph kept failing' })).toBe(true);

    const actions = createRequestActions({ store: workflow, requests: t.store, jobs, allowedApprovers: [] });
    const refused = await actions.retry(request.id, 'operator', keptLog()).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ kind: 'conflict', code: 'request_changed' });
    expect((await t.store.get(request.id))?.request.state).toBe('failed');
    expect(await t.redis.exists(t.store.keys.deviceLock(request.device))).toBe(0);

    const completed = new Promise<void>((done) => worker.once('completed', () => { done(); }));
    finish();
    await completed;
    await worker.close(); // so that the new attempt's job is seen waiting, not taken at once
    await expect(actions.retry(request.id, 'operator', keptLog())).resolves.toEqual({ id: request.id, state: 'checking_eligibility' });
    const job = await t.queues.reset.getJob(request.id);
    expect(await job?.getState()).toBe('waiting');
  });
});

/**
 * Retries racing what an attacker or an unlucky operator can do at the same moment (a second review found both):
 * - two retries of one request (a double click, two operators): one new attempt, with its job and its device lock;
 *   the other is refused and touches neither (it once removed the winner's new job, or released its lock);
 * - a new submission for the same device while the retry is under way: one of them holds the device, never both
 *   (a failed request's lock counts as stale, so a submission could take it between the retry's lock and its move).
 */
describe('an operator retry racing another retry or a new submission', () => {
  let t: TestIntake;
  let workflow: WorkflowStore;

  beforeAll(async () => {
    t = await createTestIntake('retry-races');
    workflow = new WorkflowStore(t.redis, t.store);
  });

  afterAll(async () => {
    await t.close();
  });

  async function failedRequest(serial: string) {
    const request = await storeNewRequest(t.store, serial);
    expect(await workflow.transition(request, 'checking_eligibility', { actor: 'worker', reason: 'checking' })).toBe(true);
    expect(await workflow.transition({ ...request, state: 'checking_eligibility' }, 'failed', { actor: 'worker', reason: 'Graph kept failing' })).toBe(true);
    return request;
  }

  it('starts one new attempt when two retries of a request come at once, with its job and its device lock kept', async () => {
    const actions = createRequestActions({ store: workflow, requests: t.store, jobs: createJobScheduler(t.queues), allowedApprovers: [] });
    for (let i = 0; i < 20; i++) {
      const request = await failedRequest(`RETRY-RACE-${String(i)}`);
      const outcomes = await Promise.allSettled([actions.retry(request.id, 'operator-a', keptLog()), actions.retry(request.id, 'operator-b', keptLog())]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const refused = outcomes.find((o) => o.status === 'rejected');
      expect(refused?.reason).toBeInstanceOf(AppError);
      expect(refused?.reason).toMatchObject({ kind: 'conflict' });
      expect((await t.store.get(request.id))?.request.state).toBe('checking_eligibility');
      expect(await t.redis.get(t.store.keys.deviceLock(request.device))).toBe(request.id);
      expect(await (await t.queues.reset.getJob(request.id))?.getState()).toBe('waiting');
    }
  });

  it('lets one request hold the device when a new submission for it comes while the retry takes its locks', async () => {
    const request = await failedRequest('RETRY-RACE-SUBMIT');
    let newcomer: { id: string } | undefined;
    // The new submission lands just before the retry takes its locks.
    const requests = new Proxy(t.store, {
      get(target, key, receiver) {
        if (key === 'relock') {
          return async (...args: Parameters<typeof t.store.relock>) => {
            newcomer = await storeNewRequest(t.store, 'RETRY-RACE-SUBMIT');
            return target.relock(...args);
          };
        }
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    const actions = createRequestActions({ store: workflow, requests, jobs: createJobScheduler(t.queues), allowedApprovers: [] });
    await expect(actions.retry(request.id, 'operator', keptLog())).rejects.toMatchObject({ kind: 'conflict', code: 'device_has_active_request' });
    expect(newcomer).toBeDefined();
    expect(await t.redis.get(t.store.keys.deviceLock(request.device))).toBe(newcomer?.id);
    const after = await t.store.get(request.id);
    expect(after?.request.state).toBe('failed');
    expect(after?.timeline.at(-1)).toMatchObject({ from: 'checking_eligibility', to: 'failed', reason: expect.stringMatching(/device has another active request/) as unknown });
    expect(await t.queues.reset.getJob(request.id)).toBeUndefined();
  });
});

/**
 * A payload the job catalog refuses is our own bug, not Redis being down: the scheduler passes it on as it is (a 500
 * and an error log at the edge), never as StoreUnavailableError (a 503 whose Retry-After invites a retry that fails the
 * same way).
 */
describe('a job payload the catalog refuses', () => {
  let t: TestIntake;

  beforeAll(async () => {
    t = await createTestIntake('scheduler-payload');
  });

  afterAll(async () => {
    await t.close();
  });

  it('is passed on as InvalidJobPayloadError, and nothing is queued', async () => {
    const jobs = createJobScheduler(t.queues);
    const refused = await jobs.scheduleReset('not-a-request-id').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(InvalidJobPayloadError);
    expect(refused).not.toBeInstanceOf(StoreUnavailableError);
    const linked = await jobs.notifyLinkedTicket('6f1c2e0a-3b4d-4e5f-8a9b-0c1d2e3f4a5b', { system: 'jira', key: 'K'.repeat(65) }).catch((err: unknown) => err);
    expect(linked).toBeInstanceOf(InvalidJobPayloadError);
    expect(await t.queues.reset.getJobCounts('waiting')).toEqual({ waiting: 0 });
    expect(await t.queues.notify.getJobCounts('waiting')).toEqual({ waiting: 0 });
  });
});
