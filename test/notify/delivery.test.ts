import { createNotificationDeliveries } from '../../src/notify/deliveries';
import { waitFor } from '../support/env';
import { newIncident, newIssue, startNotifyHarness, type NotifyHarness } from './support';

/**
 * Delivery guarantees: outages of ServiceNow and Jira, 429 with Retry-After, a step that failed after another one
 * succeeded, a job that runs again after it posted, a notification that cannot be delivered and an operator's retry.
 */
describe('notification delivery', () => {
  let h: NotifyHarness;

  beforeAll(async () => {
    h = await startNotifyHarness('notify-delivery', { NOTIFY_EMAIL_EVENTS: 'none' });
  });

  afterAll(async () => {
    await h.close();
  });

  it('delivers a ServiceNow note exactly once after ServiceNow was down for a while', async () => {
    const ticket = newIncident(h);
    const path = `/api/now/table/incident/${ticket.sysId ?? ''}`;
    const rule = h.sandbox.servicenow.control.injectFault({ method: 'PATCH', path, sequence: [{ kind: 'status', status: 503 }, { kind: 'reset' }, { kind: 'status', status: 500 }] });
    const request = await h.seed({ state: 'failed', ticket, workflow: { outcomeReason: 'action_failed' }, reason: 'the device reported failed' });
    const [record] = await h.announce(request, 'failed');
    h.sandbox.servicenow.control.faults.remove(rule);
    expect(record).toMatchObject({ state: 'delivered', attempts: 4 });
    expect(h.sandbox.servicenow.control.journal(ticket.sysId ?? '', 'work_notes')).toHaveLength(1);
  });

  it('delivers a Jira note exactly once after Jira was down for a while', async () => {
    const ticket = newIssue(h, 'HD');
    const rule = h.sandbox.jira.control.injectFault({ path: `/rest/servicedeskapi/request/${ticket.key}/comment`, sequence: [{ kind: 'status', status: 503 }, { kind: 'status', status: 504 }, { kind: 'reset' }] });
    const request = await h.seed({ state: 'succeeded', ticket });
    const [record] = await h.announce(request, 'succeeded');
    h.sandbox.jira.control.faults.remove(rule);
    expect(record).toMatchObject({ state: 'delivered', steps: { comment: expect.any(String), transition: expect.any(String) } });
    const issue = h.sandbox.jira.control.issue(ticket.key);
    expect(issue?.comments).toHaveLength(1);
    expect(issue?.status.name).toBe('Resolved');
  });

  it('retries only the step that failed: the work note is not posted again when the state change fails', async () => {
    const ticket = newIncident(h);
    const path = `/api/now/table/incident/${ticket.sysId ?? ''}`;
    // The first PATCH (the work note) passes; the next two (the state change) fail.
    const rule = h.sandbox.servicenow.control.injectFault({ method: 'PATCH', path, sequence: [null, { kind: 'status', status: 503 }, { kind: 'status', status: 503 }] });
    const request = await h.seed({ state: 'succeeded', ticket });
    const [record] = await h.announce(request, 'succeeded');
    h.sandbox.servicenow.control.faults.remove(rule);
    expect(record?.state).toBe('delivered');
    expect(h.sandbox.servicenow.control.journal(ticket.sysId ?? '', 'work_notes')).toHaveLength(1);
    expect(h.sandbox.servicenow.control.record('incident', ticket.sysId ?? '')?.state).toBe('6');
  });

  it('honours Retry-After on a 429: the next attempt comes no sooner', async () => {
    const ticket = newIncident(h);
    const path = `/api/now/table/incident/${ticket.sysId ?? ''}`;
    const rule = h.sandbox.servicenow.control.injectFault({ method: 'PATCH', path, sequence: [{ kind: 'status', status: 429, retryAfterSeconds: 2 }] });
    const request = await h.seed({ state: 'awaiting_approval', ticket });
    const [record] = await h.announce(request, 'awaiting_approval');
    h.sandbox.servicenow.control.faults.remove(rule);
    expect(record?.state).toBe('delivered');
    const patches = h.sandbox.servicenow.control.calls.filter((c) => c.method === 'PATCH' && c.path === path);
    expect(patches.map((c) => c.status)).toEqual([429, 200]);
    // The backoff alone would be at most 200 ms here: the wait is the server's.
    expect((patches[1]?.at ?? 0) - (patches[0]?.at ?? 0)).toBeGreaterThanOrEqual(2000);
  });

  it('never posts twice when a delivered job runs again (a crash between "posted" and "job completed")', async () => {
    const ticket = newIssue(h, 'OPS');
    const request = await h.seed({ state: 'succeeded', ticket });
    const id = `${request.id}|succeeded|ticket`;
    await h.announce(request, 'succeeded');
    const writes = h.sandbox.jira.control.writes.length;
    // The job runs again, as BullMQ runs a job whose worker died before it could report completion.
    const job = await h.intake.queues.notify.getJob(id);
    const firstRun = job?.finishedOn ?? 0;
    await job?.retry('completed');
    await waitFor(async () => {
      const again = await h.intake.queues.notify.getJob(id);
      return (await again?.getState()) === 'completed' && (again?.finishedOn ?? 0) > firstRun;
    }, 10_000, 'the job to run again');
    expect(h.sandbox.jira.control.writes.length).toBe(writes);
    expect(h.sandbox.jira.control.issue(ticket.key)?.comments).toHaveLength(1);
  });

  it('never re-runs a reset or changes the request when a notification fails', async () => {
    const ticket = newIncident(h);
    const rule = h.sandbox.servicenow.control.injectFault({ method: 'PATCH', path: `/api/now/table/incident/${ticket.sysId ?? ''}`, fault: { kind: 'status', status: 503 } });
    const request = await h.seed({ state: 'succeeded', ticket });
    const before = await h.intake.store.get(request.id);
    await h.intake.queues.notify.add('notify', { requestId: request.id, event: 'succeeded', channel: 'ticket' }, { jobId: `${request.id}|succeeded|ticket`, attempts: 2 });
    const record = await h.settled(`${request.id}|succeeded|ticket`);
    h.sandbox.servicenow.control.faults.remove(rule);
    expect(record.state).toBe('undeliverable');
    const after = await h.intake.store.get(request.id);
    expect(after?.request.state).toBe('succeeded');
    expect(after?.timeline).toEqual(before?.timeline);
    expect(await h.intake.queues.reset.getJobCounts()).toMatchObject({ waiting: 0, active: 0, delayed: 0, failed: 0 });
  });
});

describe('undeliverable notifications and the operator retry', () => {
  let h: NotifyHarness;

  beforeAll(async () => {
    h = await startNotifyHarness('notify-retry', { NOTIFY_EMAIL_EVENTS: 'none', JIRA_SUCCESS_TRANSITIONS: 'Close Issue' });
  });

  afterAll(async () => {
    await h.close();
  });

  it('marks a notification undeliverable after its last attempt, shows it to operators, and delivers it on an operator retry', async () => {
    const ticket = newIssue(h, 'OPS');
    // Jira refuses every comment for ten attempts: the notification's attempts run out.
    const rule = h.sandbox.jira.control.injectFault({ method: 'POST', path: `/rest/api/3/issue/${ticket.key}/comment`, sequence: Array.from({ length: 10 }, () => ({ kind: 'status' as const, status: 503 as const })) });
    const request = await h.seed({ state: 'failed', ticket, workflow: { outcomeReason: 'action_failed' }, reason: 'the device reported failed' });
    const id = `${request.id}|failed|ticket`;
    const [record] = await h.announce(request, 'failed', 30_000);
    h.sandbox.jira.control.faults.remove(rule);
    expect(record).toMatchObject({ state: 'undeliverable', attempts: 10, lastError: { code: 'jira_unavailable', permanent: false } });
    expect(record?.lastError?.message).toMatch(/Jira answered 503/);
    // BullMQ keeps the failed job with its last error: the queue shows it too.
    const job = await h.intake.queues.notify.getJob(id);
    expect(await job?.getState()).toBe('failed');
    expect(job?.failedReason).toMatch(/503/);

    // The API shows it, in the request's notifications.
    const listed = await h.intake.app.inject({ method: 'GET', url: `/v1/resets/${request.id}/notifications`, headers: h.intake.auth('operator') });
    expect(listed.statusCode).toBe(200);
    expect(listed.json<{ items: unknown[] }>().items).toContainEqual(expect.objectContaining({ id, event: 'failed', channel: 'ticket', state: 'undeliverable', jobState: 'failed' }));

    // Only an operator may retry it.
    const refused = await h.intake.app.inject({ method: 'POST', url: `/v1/resets/${request.id}/notifications/failed/ticket/retry`, headers: h.intake.auth('submitter') });
    expect(refused.statusCode).toBe(403);
    const retried = await h.intake.app.inject({ method: 'POST', url: `/v1/resets/${request.id}/notifications/failed/ticket/retry`, headers: h.intake.auth('operator') });
    expect(retried.statusCode).toBe(200);
    const delivered = await h.settled(id, ['delivered']);
    expect(delivered.attempts).toBe(1);
    expect(h.sandbox.jira.control.issue(ticket.key)?.comments).toHaveLength(1);
    const stored = await h.intake.store.get(request.id);
    expect(stored?.timeline.at(-1)).toMatchObject({ actor: 'operator', reason: 'notification failed on the ticket channel retried by operator', details: { notification: id, previousState: 'undeliverable' } });
    expect(stored?.request.state).toBe('failed');

    // A delivered notification is not sent again.
    const again = await h.intake.app.inject({ method: 'POST', url: `/v1/resets/${request.id}/notifications/failed/ticket/retry`, headers: h.intake.auth('operator') });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: { code: 'already_delivered' } });
  });

  it('reports a transition name that does not exist once, clearly, as a permanent error, without retrying it', async () => {
    const ticket = newIssue(h, 'HD');
    const request = await h.seed({ state: 'succeeded', ticket });
    const id = `${request.id}|succeeded|ticket`;
    const [record] = await h.announce(request, 'succeeded');
    expect(record).toMatchObject({ state: 'undeliverable', attempts: 1, lastError: { code: 'jira_transition_not_found', permanent: true } });
    expect(record?.lastError?.message).toBe(`Issue ${ticket.key} has no transition named "Close Issue" available; available transitions: "Start progress", "Resolve", "Escalate"`);
    // The comment was delivered, and is not repeated.
    expect(record?.steps.comment).toEqual(expect.any(String));
    expect(h.sandbox.jira.control.issue(ticket.key)?.comments).toHaveLength(1);
    await waitFor(async () => (await (await h.intake.queues.notify.getJob(id))?.getState()) === 'failed', 10_000, 'the job to fail');
    const job = await h.intake.queues.notify.getJob(id);
    // Reported once: one log line, one attempt.
    expect(h.workerLogs.filter((l) => l.includes(id) && l.includes('undeliverable'))).toHaveLength(1);
    expect(job?.attemptsMade).toBe(1);

    // The read API the operations dashboard uses lists it among the undeliverable notifications.
    const deliveries = createNotificationDeliveries({ redis: h.intake.redis, prefix: h.intake.prefix, queues: h.intake.queues, workflow: h.workflow });
    expect((await deliveries.undeliverable()).map((d) => d.id)).toContain(id);
    const undeliverable = await h.intake.app.inject({ method: 'GET', url: '/v1/resets/' + request.id + '/notifications', headers: h.intake.auth('operator') });
    expect(undeliverable.json<{ items: unknown[] }>().items).toContainEqual(expect.objectContaining({ id, state: 'undeliverable', lastError: expect.objectContaining({ permanent: true }) }));
    // An operator retry (after fixing the configuration) never re-posts the comment: here the name is still wrong, so
    // it fails again at once.
    const firstRun = job?.finishedOn ?? 0;
    const retried = await h.intake.app.inject({ method: 'POST', url: `/v1/resets/${request.id}/notifications/succeeded/ticket/retry`, headers: h.intake.auth('operator') });
    expect(retried.statusCode).toBe(200);
    await waitFor(async () => {
      const rerun = await h.intake.queues.notify.getJob(id);
      return (await rerun?.getState()) === 'failed' && (rerun?.finishedOn ?? 0) > firstRun;
    }, 10_000, 'the retried job to fail again');
    const again = await h.settled(id, ['undeliverable']);
    expect(again.lastError?.code).toBe('jira_transition_not_found');
    expect(h.sandbox.jira.control.issue(ticket.key)?.comments).toHaveLength(1);
  });

  it('shows a queued notification that has not run yet, and runs a waiting one at once on an operator retry', async () => {
    const ticket = newIncident(h);
    const request = await h.seed({ state: 'awaiting_approval', ticket });
    const id = `${request.id}|awaiting_approval|ticket`;
    await h.intake.queues.notify.add('notify', { requestId: request.id, event: 'awaiting_approval', channel: 'ticket' }, { jobId: id, delay: 3_600_000 });
    const listed = await h.intake.app.inject({ method: 'GET', url: `/v1/resets/${request.id}/notifications`, headers: h.intake.auth('submitter') });
    expect(listed.json<{ items: unknown[] }>().items).toEqual([expect.objectContaining({ id, state: 'pending', attempts: 0, jobState: 'delayed', steps: {} })]);
    const retried = await h.intake.app.inject({ method: 'POST', url: `/v1/resets/${request.id}/notifications/awaiting_approval/ticket/retry`, headers: h.intake.auth('operator') });
    expect(retried.statusCode).toBe(200);
    await h.settled(id, ['delivered']);
    expect(h.sandbox.servicenow.control.journal(ticket.sysId ?? '', 'work_notes')).toHaveLength(1);
  });

  it('answers 404 for a notification that does not exist', async () => {
    const request = await h.seed({ state: 'awaiting_approval' });
    const res = await h.intake.app.inject({ method: 'POST', url: `/v1/resets/${request.id}/notifications/succeeded/ticket/retry`, headers: h.intake.auth('operator') });
    expect(res.statusCode).toBe(404);
  });
});
