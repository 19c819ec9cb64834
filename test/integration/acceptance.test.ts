import { randomUUID } from 'node:crypto';
import { createSubmissionService, type SubmissionService } from '../../src/app/submissions';
import type { ResetRequest, TimelineEntry } from '../../src/domain/request';
import { createLogger } from '../../src/logging/logger';
import { createJobScheduler } from '../../src/queue/scheduler';
import { createRequestAcceptance } from '../../src/store/acceptance';
import { createTestIntake, type TestIntake } from '../support/intake';

/**
 * ADR 003 as amended by issue 12: a request and its reset job are written in one round trip, the job first; the
 * request is stored only with its job, and a refused request leaves no job behind.
 */
describe('accepting a request with its job', () => {
  let t: TestIntake;
  let service: SubmissionService;

  beforeAll(async () => {
    t = await createTestIntake('acceptance');
    service = createSubmissionService({
      store: t.store,
      jobs: createJobScheduler(t.queues),
      acceptance: createRequestAcceptance({ redis: t.redis, store: t.store, queue: t.queues.reset }),
      log: createLogger('silent', 'test'),
    });
  });

  afterAll(async () => {
    await t.close();
  });

  const input = (serial: string) => ({ device: { kind: 'serialNumber' as const, value: serial }, requestedBy: 'anna@contoso.com', source: 'api' as const, submittedBy: 'submitter' });

  function newRequest(serial: string): { request: ResetRequest; first: TimelineEntry } {
    const at = new Date().toISOString();
    const request: ResetRequest = { id: randomUUID(), state: 'received', ...input(serial), linkedTickets: [], createdAt: at, updatedAt: at };
    return { request, first: { at, from: null, to: 'received', actor: 'submitter', reason: 'request accepted' } };
  }

  it('stores the request, its job and its device lock for good', async () => {
    const outcome = await service.submit(input('ACCEPT-1'));
    if (outcome.kind !== 'accepted') throw new Error(`expected accepted, got ${outcome.kind}`);
    const id = outcome.request.id;
    expect((await t.store.getCurrent(id))?.request.state).toBe('received');
    expect((await t.queues.reset.getJob(id))?.data).toEqual({ requestId: id });
    const lock = t.store.keys.deviceLock(outcome.request.device);
    expect(await t.redis.get(lock)).toBe(id);
    expect(await t.redis.pttl(lock)).toBe(-1);
  });

  it('refuses a busy device with the active request, and removes the job it queued', async () => {
    const first = await service.submit(input('ACCEPT-2'));
    if (first.kind !== 'accepted') throw new Error('the first request was not accepted');
    const id = randomUUID();
    const second = await service.submit(input('ACCEPT-2'), undefined, id);
    expect(second).toEqual({ kind: 'busy', conflict: 'device', activeId: first.request.id });
    expect(await t.queues.reset.getJob(id)).toBeUndefined();
    expect(await t.store.getCurrent(id)).toBeUndefined();
  });

  it('writes a request once when the same accept arrives twice (a resend after a lost answer)', async () => {
    const { request, first } = newRequest('ACCEPT-5');
    await t.queues.reset.add('reset', { requestId: request.id }, { jobId: request.id });
    const jobKey = t.queues.reset.toKey(request.id);
    expect(await t.store.accept(request, first, jobKey)).toEqual({ kind: 'accepted' });
    expect(await t.store.accept(request, first, jobKey)).toEqual({ kind: 'accepted' });
    expect((await t.store.get(request.id))?.timeline).toHaveLength(1);
    const audit = await t.redis.xrange(t.store.keys.audit, '-', '+');
    expect(audit.filter(([, fields]) => fields[1] === request.id)).toHaveLength(1);
  });

  it('answers accepted to a resend that arrives after the stored request\'s job has finished (a fast ineligible request)', async () => {
    const { request, first } = newRequest('ACCEPT-6');
    await t.queues.reset.add('reset', { requestId: request.id }, { jobId: request.id });
    const jobKey = t.queues.reset.toKey(request.id);
    expect(await t.store.accept(request, first, jobKey)).toEqual({ kind: 'accepted' });
    await t.redis.hset(jobKey, 'finishedOn', String(Date.now()));
    expect(await t.store.accept(request, first, jobKey)).toEqual({ kind: 'accepted' });
    expect((await t.store.get(request.id))?.timeline).toHaveLength(1);
  });

  it('stores nothing, and takes no lock, for a request whose job is not there', async () => {
    const { request, first } = newRequest('ACCEPT-3');
    expect(await t.store.accept(request, first, t.queues.reset.toKey(request.id))).toEqual({ kind: 'no_job' });
    expect(await t.store.getCurrent(request.id)).toBeUndefined();
    expect(await t.redis.exists(t.store.keys.deviceLock(request.device))).toBe(0);
  });

  it('stores nothing for a request whose job has already finished', async () => {
    const { request, first } = newRequest('ACCEPT-4');
    const job = await t.queues.reset.add('reset', { requestId: request.id }, { jobId: request.id });
    await t.redis.hset(t.queues.reset.toKey(job.id ?? ''), 'finishedOn', String(Date.now()));
    expect(await t.store.accept(request, first, t.queues.reset.toKey(request.id))).toEqual({ kind: 'no_job' });
    expect(await t.store.getCurrent(request.id)).toBeUndefined();
  });
});
