import type { Redis } from 'ioredis';
import type { ResetRequest } from '../../src/domain/request';
import { createRedis, waitForReady } from '../../src/redis/connection';
import { RequestStore } from '../../src/store/requests';
import { WorkflowStore } from '../../src/store/workflow-store';
import { testRedisUrl, uniquePrefix } from '../support/env';
import { storeNewRequest } from '../support/stored-request';

// A processor run reads the request through a view of the store (WorkflowStore.forRun): after the view's own
// transition, the next load answers what that transition wrote without reading Redis; every other load reads Redis.
// Against the run's real Redis; "without reading Redis" is shown by changing the record behind the view's back.
const prefix = uniquePrefix('run-view');

describe('a run view of the workflow store', () => {
  let redis: Redis;
  let requests: RequestStore;
  let store: WorkflowStore;

  beforeAll(async () => {
    redis = createRedis(testRedisUrl(), 'producer', { name: 'run-view-test' });
    await waitForReady(redis, 5000);
    requests = new RequestStore(redis, prefix);
    store = new WorkflowStore(redis, requests);
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  const storedRequest = (serial: string): Promise<ResetRequest> => storeNewRequest(requests, serial);

  /** Rewrites the stored workflow data behind every view's back, as another process would. */
  async function writeBehind(id: string, workflow: object): Promise<void> {
    await redis.hset(requests.keys.request(id), 'workflow', JSON.stringify({ v: 1, ...workflow }));
  }

  it('answers the load after its own transition with what the transition wrote, once', async () => {
    const { id } = await storedRequest('VIEW-1');
    const run = store.forRun();
    const loaded = await run.load(id);
    expect(loaded?.request.state).toBe('received');
    expect(await run.transition(loaded!.request, 'checking_eligibility', { actor: 'worker', reason: 'looking' })).toBe(true);
    await writeBehind(id, { approvalChecks: 7 });
    const carried = await run.load(id);
    expect(carried?.request.state).toBe('checking_eligibility');
    // The transition kept the stored workflow data, as the view had read it.
    expect(carried?.workflow).toEqual({});
    // A second load reads Redis again, and the shared store always does.
    expect((await run.load(id))?.workflow).toEqual({ approvalChecks: 7 });
    expect((await store.load(id))?.workflow).toEqual({ approvalChecks: 7 });
  });

  it('carries the workflow data a transition writes, and reads Redis again after any other write', async () => {
    const { id } = await storedRequest('VIEW-2');
    const run = store.forRun();
    const loaded = await run.load(id);
    expect(await run.transition(loaded!.request, 'checking_eligibility', { actor: 'worker', reason: 'looking' }, { managedDeviceId: 'md-2' })).toBe(true);
    const carried = await run.load(id);
    expect(carried?.workflow).toEqual({ managedDeviceId: 'md-2' });
    expect(await run.saveWorkflow(id, 'checking_eligibility', { managedDeviceId: 'md-2', approvalChecks: 1 })).toBe(true);
    await writeBehind(id, { managedDeviceId: 'md-2', approvalChecks: 2 });
    expect((await run.load(id))?.workflow).toEqual({ managedDeviceId: 'md-2', approvalChecks: 2 });
  });

  it('reads Redis after a transition that lost its race', async () => {
    const request = await storedRequest('VIEW-3');
    const run = store.forRun();
    const loaded = await run.load(request.id);
    // Another process moves the request first.
    expect(await store.transition(request, 'cancelled', { actor: 'operator', reason: 'cancelled' })).toBe(true);
    expect(await run.transition(loaded!.request, 'checking_eligibility', { actor: 'worker', reason: 'looking' })).toBe(false);
    expect((await run.load(request.id))?.request.state).toBe('cancelled');
  });
});
