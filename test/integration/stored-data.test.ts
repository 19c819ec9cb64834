import { Redis } from 'ioredis';
import { sha256Hex } from '../../src/auth/tokens';
import type { ResetRequest } from '../../src/domain/request';
import { createAuditAggregator } from '../../src/metrics/aggregator';
import { DeliveryLedger } from '../../src/notify/ledger';
import { SessionStore } from '../../src/ops/session';
import { createTenantActionLog } from '../../src/store/tenant-actions';
import { createRedis, waitForReady } from '../../src/redis/connection';
import { StoredDataError } from '../../src/store/errors';
import { IdempotencyStore } from '../../src/store/idempotency';
import { metricsKeys, sessionKeys, tenantKeys } from '../../src/store/keys';
import { RequestStore } from '../../src/store/requests';
import { TenantControlStore } from '../../src/store/tenant-controls';
import { WorkflowStore } from '../../src/store/workflow-store';
import { testRedisUrl, uniquePrefix } from '../support/env';
import { storeNewRequest } from '../support/stored-request';

// What is read back from Redis is checked against the version it was written as. A record that a newer version of the
// product wrote (another `v`), or one of the wrong shape, makes the read fail with StoredDataError, naming the kind
// and the version; a record written before records carried `v` reads as version 1. All against the run's real Redis.
const prefix = uniquePrefix('stored');
const TENANT = '11111111-2222-3333-4444-555555555555';

function storedError(kind: string, version: unknown, problem: 'unknown_version' | 'invalid'): unknown {
  return expect.objectContaining({ name: 'StoredDataError', code: 'stored_data_invalid', kind, version, problem, message: expect.stringContaining(`${kind} stored at ${prefix}`) });
}

describe('records read back from Redis', () => {
  let redis: Redis;
  let store: RequestStore;
  let workflow: WorkflowStore;

  beforeAll(async () => {
    redis = createRedis(testRedisUrl(), 'producer', { name: 'stored-data-test' });
    await waitForReady(redis, 5000);
    store = new RequestStore(redis, prefix);
    workflow = new WorkflowStore(redis, store);
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  const storedRequest = (serial: string): Promise<ResetRequest> => storeNewRequest(store, serial);

  it('writes each record with its version, and reads back what it wrote', async () => {
    const request = await storedRequest('STORED-1');
    expect(await workflow.transition(request, 'checking_eligibility', { actor: 'worker', reason: 'looking' }, { approvalChecks: 0, managedDeviceId: 'md-1' })).toBe(true);
    const [json, flow] = await redis.hmget(store.keys.request(request.id), 'json', 'workflow');
    expect(JSON.parse(json ?? '{}')).toMatchObject({ v: 1, id: request.id });
    expect(JSON.parse(flow ?? '{}')).toEqual({ v: 1, approvalChecks: 0, managedDeviceId: 'md-1' });
    expect((await redis.lrange(store.keys.timeline(request.id), 0, -1)).map((t) => (JSON.parse(t) as { v?: number }).v)).toEqual([1, 1]);
    const read = await store.get(request.id);
    expect(read?.request).toEqual({ ...request, state: 'checking_eligibility', updatedAt: expect.any(String) });
    expect(read?.workflow).toEqual({ approvalChecks: 0, managedDeviceId: 'md-1' });
    expect(read?.timeline.map((t) => t.to)).toEqual(['received', 'checking_eligibility']);
  });

  it('reads a record stored before records carried a version as version 1', async () => {
    const request = await storedRequest('STORED-2');
    const key = store.keys.request(request.id);
    const unversioned = JSON.parse((await redis.hget(key, 'json')) ?? '{}') as Record<string, unknown>;
    delete unversioned.v;
    await redis.hset(key, 'json', JSON.stringify(unversioned), 'workflow', JSON.stringify({ attempt: 1 }));
    await redis.rpush(store.keys.links(request.id), JSON.stringify({ system: 'jira', key: 'HD-7' }));
    const read = await store.getCurrent(request.id);
    expect(read?.request.device.value).toBe('STORED-2');
    expect(read?.request.linkedTickets).toEqual([{ system: 'jira', key: 'HD-7' }]);
    expect(read?.workflow).toEqual({ attempt: 1 });
  });

  it('refuses a request record of a version it does not read, naming the kind, the key and the version', async () => {
    const request = await storedRequest('STORED-3');
    const key = store.keys.request(request.id);
    const record = JSON.parse((await redis.hget(key, 'json')) ?? '{}') as Record<string, unknown>;
    await redis.hset(key, 'json', JSON.stringify({ ...record, v: 2, device: { serial: 'STORED-3' } }));
    const read = store.get(request.id);
    await expect(read).rejects.toBeInstanceOf(StoredDataError);
    await expect(store.get(request.id)).rejects.toEqual(storedError('request', 2, 'unknown_version'));
    await expect(store.get(request.id)).rejects.toThrow(`The request stored at ${key} is version 2, which this version of the product does not read (it reads version 1)`);
    // A list that meets it fails too, rather than leaving the request out.
    await expect(store.list({ device: 'STORED-3' }, 10)).rejects.toEqual(storedError('request', 2, 'unknown_version'));
  });

  it('refuses workflow data, timeline entries and states of the wrong shape', async () => {
    const request = await storedRequest('STORED-4');
    const key = store.keys.request(request.id);
    await redis.hset(key, 'workflow', JSON.stringify({ v: 1, approvalChecks: 'three' }));
    await expect(workflow.load(request.id)).rejects.toEqual(storedError('workflow', 1, 'invalid'));
    await expect(workflow.load(request.id)).rejects.toThrow(`The workflow stored at ${key} is not a valid version 1 workflow: approvalChecks:`);

    await redis.hdel(key, 'workflow');
    await redis.rpush(store.keys.timeline(request.id), JSON.stringify({ v: 3, at: 'now', to: 'received' }));
    await expect(store.get(request.id)).rejects.toEqual(storedError('timeline entry', 3, 'unknown_version'));

    await redis.hset(key, 'state', 'on_hold');
    await expect(workflow.load(request.id)).rejects.toThrow(`The request stored at ${key} is not a valid version 1 request: state: on_hold is not a state`);
  });

  it('refuses an idempotency record of another version', async () => {
    const idempotency = new IdempotencyStore(redis, store.keys, 60);
    expect(await idempotency.claim('submitter', 'key-1', { a: 1 })).toEqual({ kind: 'claimed' });
    expect(await idempotency.claim('submitter', 'key-1', { a: 1 })).toEqual({ kind: 'in_progress' });
    const key = store.keys.idempotency('submitter', sha256Hex('key-1'));
    expect(JSON.parse((await redis.get(key)) ?? '{}')).toMatchObject({ v: 1, status: 'pending' });
    await redis.set(key, JSON.stringify({ v: 2, state: 'pending', bodyHash: sha256Hex(JSON.stringify({ a: 1 })) }));
    await expect(idempotency.claim('submitter', 'key-1', { a: 1 })).rejects.toEqual(storedError('idempotency record', 2, 'unknown_version'));
  });

  it('refuses a tenant pause of the wrong shape and a tenant action of another version', async () => {
    const control = new TenantControlStore(redis, prefix, 10);
    await control.pause(TENANT, 'operator', 'change freeze');
    expect((await control.settings(TENANT)).paused).toEqual({ by: 'operator', at: expect.any(String), reason: 'change freeze' });
    await redis.set(tenantKeys(prefix, TENANT).paused, JSON.stringify({ v: 1, who: 'operator' }));
    await expect(control.settings(TENANT)).rejects.toEqual(storedError('tenant pause', 1, 'invalid'));

    const log = createTenantActionLog(redis, prefix);
    await log.record({ by: 'operator', tenantId: TENANT, action: 'paused' });
    expect(await log.recent(5)).toEqual([{ at: expect.any(String), by: 'operator', tenantId: TENANT, action: 'paused' }]);
    await redis.lpush(metricsKeys(prefix).tenantActions, JSON.stringify({ v: 2, at: 'now', by: 'operator', tenantId: TENANT, action: 'archived' }));
    await expect(log.recent(5)).rejects.toEqual(storedError('tenant action', 2, 'unknown_version'));
  });

  it('refuses a dashboard session of another version', async () => {
    const sessions = new SessionStore(redis, prefix, 60);
    const { sid, session } = await sessions.create({ name: 'operator', roles: new Set(['operate']) });
    expect(await sessions.get(sid)).toEqual(session);
    await redis.set(sessionKeys(prefix).session(sha256Hex(sid)), JSON.stringify({ ...session, v: 2 }));
    await expect(sessions.get(sid)).rejects.toEqual(storedError('session', 2, 'unknown_version'));
  });

  it('refuses a notification record of another version or of an unknown state', async () => {
    const ledger = new DeliveryLedger(redis, prefix);
    const target = { id: 'r9|accepted|email', requestId: 'r9', event: 'accepted' as const, channel: 'email' as const };
    await ledger.begin(target, 1);
    await ledger.markStep(target.id, 'email');
    expect(await ledger.get(target.id)).toMatchObject({ id: target.id, state: 'delivering', attempts: 1, steps: { email: expect.any(String) } });
    expect(await redis.hget(ledger.keys.record(target.id), 'v')).toBe('1');
    await redis.hset(ledger.keys.record(target.id), 'state', 'bounced');
    await expect(ledger.get(target.id)).rejects.toEqual(storedError('notification', 1, 'invalid'));
    await redis.hset(ledger.keys.record(target.id), 'v', '2');
    await expect(ledger.listForRequest('r9')).rejects.toEqual(storedError('notification', 2, 'unknown_version'));
  });

  it('stops the metrics aggregator at an audit entry of another version, leaving it for a process that reads it', async () => {
    const own = uniquePrefix('storedagg');
    const ownStore = new RequestStore(redis, own);
    const aggregator = createAuditAggregator(redis, own);
    await redis.xadd(ownStore.keys.audit, '*', 'request', 'r1', 'entry', JSON.stringify({ v: 1, at: new Date().toISOString(), from: null, to: 'received', actor: 'a', reason: 'r' }));
    await redis.xadd(ownStore.keys.audit, '*', 'request', 'r1', 'entry', '{"v":1,"damaged":true}');
    expect(await aggregator.advance()).toBe(2);
    await redis.xadd(ownStore.keys.audit, '*', 'request', 'r1', 'entry', JSON.stringify({ v: 2, at: new Date().toISOString(), from: 'received', to: 'checking_eligibility' }));
    const checkpoint = await redis.get(metricsKeys(own).checkpoint);
    await expect(aggregator.advance()).rejects.toEqual(expect.objectContaining({ kind: 'timeline entry', version: 2, problem: 'unknown_version' }));
    expect(await redis.get(metricsKeys(own).checkpoint)).toBe(checkpoint);
    const keys = await redis.keys(`${own}*`);
    await redis.del(...keys);
  });
});
