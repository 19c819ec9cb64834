import { createRequestActions } from '../../src/app/request-actions';
import { createQueues, type Queues } from '../../src/queue/queues';
import { createJobScheduler } from '../../src/queue/scheduler';
import { createRedis } from '../../src/redis/connection';
import { StoreUnavailableError } from '../../src/store/errors';
import { WorkflowStore } from '../../src/store/workflow-store';
import { testRedisUrl } from '../support/env';
import { createTestIntake, type TestIntake } from '../support/intake';
import { storeNewRequest } from '../support/stored-request';

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
    await expect(broken.retry(request.id, 'operator')).rejects.toBeInstanceOf(StoreUnavailableError);

    const after = await t.store.get(request.id);
    expect(after?.request.state).toBe('failed');
    expect(after?.workflow.outcomeReason).toBe('graph_unavailable');
    expect(after?.timeline.at(-1)).toMatchObject({ from: 'checking_eligibility', to: 'failed', actor: 'operator', reason: expect.stringMatching(/retry could not be queued/) as unknown });
    expect(await t.redis.exists(t.store.keys.deviceLock(request.device))).toBe(0);

    const actions = createRequestActions({ store: workflow, requests: t.store, jobs: healthy, allowedApprovers: [] });
    await expect(actions.retry(request.id, 'operator')).resolves.toEqual({ id: request.id, state: 'checking_eligibility' });
    expect((await t.queues.reset.getJob(request.id))?.data).toEqual({ requestId: request.id });
  });
});
