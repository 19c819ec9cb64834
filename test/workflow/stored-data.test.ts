import { FIXTURE_DEVICES } from '@resetpc/sandbox';
import { STORED_DATA_WAIT_MS } from '../../workers/reset/processor';
import { waitFor } from '../support/env';
import { startWorkflowHarness, type WorkflowHarness } from '../support/workflow';

/**
 * A request record this worker cannot read (another `v`, as a newer version writes during a rolling upgrade): the
 * worker neither fails the request nor spends its job's attempts on it (after the last one the job would be gone and
 * the request left active for ever). The job waits and comes back, for a process that reads the record; the log says
 * which record and which version, never its content. ADR 012, "versioned records"; docs/operations.md runbook.
 */
describe('a reset job whose request this version cannot read', () => {
  let h: WorkflowHarness;
  const CANARY = 'CANARY-WORKER-STORED-3K9';

  beforeAll(async () => {
    h = await startWorkflowHarness('storedwork');
  }, 30_000);

  afterAll(async () => {
    await h.close();
  });

  it('leaves the request as it is and the job waiting, with no attempt used, and logs the key and version only', async () => {
    const res = await h.intake.app.inject({ method: 'POST', url: '/v1/resets', headers: h.intake.auth('submitter'), payload: { device: { id: FIXTURE_DEVICES.androidFullyManaged }, requestedBy: 'anna@contoso.com' } });
    expect(res.statusCode).toBe(202);
    const { id } = res.json<{ id: string }>();
    await h.until(id, 'awaiting_approval');

    // A newer version rewrites the record; then the job runs (as its next approval check would).
    const key = h.intake.store.keys.request(id);
    const record = JSON.parse((await h.intake.redis.hget(key, 'json')) ?? '{}') as Record<string, unknown>;
    const newer = JSON.stringify({ ...record, v: 2, requestedBy: `${CANARY}@contoso.com` });
    await h.intake.redis.hset(key, 'json', newer);
    const job = await h.intake.queues.reset.getJob(id);
    const promotedAt = Date.now();
    await job?.promote();

    const lines = (): Record<string, unknown>[] =>
      h.workerLogs.flatMap((chunk) => chunk.split('\n')).filter((l) => l.includes(id)).map((l) => JSON.parse(l) as Record<string, unknown>);
    await waitFor(() => Promise.resolve(lines().some((l) => l.msg === 'reset job: stored data this version cannot read; the job waits for a process that can')), 10_000, 'the worker to meet the record');
    await waitFor(async () => (await h.intake.queues.reset.getJobState(id)) === 'delayed', 10_000, 'the job to wait again');

    const after = await h.intake.queues.reset.getJob(id);
    expect(after?.attemptsMade).toBe(0);
    expect(after?.failedReason).toBeUndefined();
    expect((after?.timestamp ?? 0) + (after?.delay ?? 0)).toBeGreaterThanOrEqual(promotedAt + STORED_DATA_WAIT_MS - 1_000);
    // The record is untouched: a process that reads version 2 finds it as it was written.
    expect(await h.intake.redis.hget(key, 'json')).toBe(newer);
    expect(await h.intake.redis.hget(key, 'state')).toBe('awaiting_approval');
    const logged = lines().find((l) => l.level === 50);
    expect(logged).toMatchObject({ requestId: id, kind: 'request', key, version: 2, problem: 'unknown_version' });
    expect(JSON.stringify(lines())).not.toContain(CANARY);
  }, 45_000);

  it('waits the same way for a record of a known version but not its shape, and goes on once the record is restored', async () => {
    const res = await h.intake.app.inject({ method: 'POST', url: '/v1/resets', headers: h.intake.auth('submitter'), payload: { device: { id: FIXTURE_DEVICES.androidCorporateWorkProfile }, requestedBy: 'ben@contoso.com' } });
    expect(res.statusCode).toBe(202);
    const { id } = res.json<{ id: string }>();
    await h.until(id, 'awaiting_approval');

    // Changed by hand: still version 1, but `device` is no longer an object.
    const key = h.intake.store.keys.request(id);
    const original = (await h.intake.redis.hget(key, 'json')) ?? '{}';
    const broken = JSON.stringify({ ...(JSON.parse(original) as Record<string, unknown>), device: `${CANARY}-device` });
    await h.intake.redis.hset(key, 'json', broken);
    await (await h.intake.queues.reset.getJob(id))?.promote();

    const lines = (): Record<string, unknown>[] =>
      h.workerLogs.flatMap((chunk) => chunk.split('\n')).filter((l) => l.includes(id)).map((l) => JSON.parse(l) as Record<string, unknown>);
    await waitFor(() => Promise.resolve(lines().some((l) => l.level === 50 && l.problem === 'invalid')), 10_000, 'the worker to meet the record');
    await waitFor(async () => (await h.intake.queues.reset.getJobState(id)) === 'delayed', 10_000, 'the job to wait again');
    expect((await h.intake.queues.reset.getJob(id))?.attemptsMade).toBe(0);
    expect(await h.intake.redis.hget(key, 'json')).toBe(broken);
    expect(JSON.stringify(lines())).not.toContain(CANARY);

    // The operator restores the record from a backup; at its next look the job takes the request on.
    await h.intake.redis.hset(key, 'json', original);
    await (await h.intake.queues.reset.getJob(id))?.promote();
    await waitFor(async () => (await h.intake.queues.reset.getJobState(id)) === 'delayed' && lines().filter((l) => l.level === 50).length === 1, 10_000, 'the job to run again');
    expect((await h.intake.queues.reset.getJob(id))?.attemptsMade).toBe(0);
    expect(await h.intake.redis.hget(key, 'state')).toBe('awaiting_approval');
  }, 45_000);
});
