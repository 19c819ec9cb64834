import { FIXTURE_DEVICES } from '@resetpc/sandbox';
import { metricsKeys } from '../../src/metrics/keys';
import { waitFor } from '../support/env';
import { startWorkflowHarness, type WorkflowHarness } from '../support/workflow';

/** Operator actions on live requests: pause and resume, the blast-radius guard, retry, cancel. */
describe('operator actions on the workflow', () => {
  let h: WorkflowHarness;

  beforeAll(async () => {
    h = await startWorkflowHarness('operator', { APPROVAL_REQUIRED: 'false', BLAST_RADIUS_PER_HOUR: '1' });
  });

  afterAll(async () => {
    await h.close();
  });

  const post = (url: string, who: 'admin' | 'operator' | 'submitter', payload?: unknown) =>
    h.intake.app.inject({ method: 'POST', url, headers: h.intake.auth(who), ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });

  async function request(deviceId: string, outcome: 'done' | 'failed' = 'done'): Promise<string> {
    h.sandbox.control.scriptAction(deviceId, { outcome, activeAfterMs: 10, finalAfterMs: 40 });
    const res = await post('/v1/resets', 'submitter', { device: { id: deviceId }, requestedBy: 'anna@contoso.com' });
    // The whole answer, so that a refusal says why (a bare status code does not).
    expect({ status: res.statusCode, body: res.json<unknown>() }).toMatchObject({ status: 202 });
    return res.json<{ id: string }>().id;
  }

  it('lists the tenant its workers serve for the dashboard and /metrics, as soon as they start', async () => {
    const key = metricsKeys(h.intake.prefix).tenants;
    await waitFor(async () => (await h.intake.redis.smembers(key)).includes(h.sandbox.tenantId), 5_000, 'the worker to announce its tenant');
  });

  it('holds submissions past the blast-radius limit without failing them, until an admin raises it', async () => {
    const first = await request(FIXTURE_DEVICES.androidDedicated);
    await h.until(first, 'succeeded');
    const second = await request(FIXTURE_DEVICES.androidFullyManaged);
    await h.until(second, 'approved');
    // The worker notes the hold just after the request reaches `approved`.
    await waitFor(async () => (await h.intake.store.get(second))?.workflow.held !== undefined, 10_000, 'the hold to be noted');
    const tenant = h.sandbox.tenantId;
    const { workflow, timeline } = (await h.intake.store.get(second)) ?? { workflow: {}, timeline: [] };
    expect(workflow.held).toBe('blast_radius');
    expect(timeline.at(-1)?.reason).toMatch(/blast-radius limit is reached \(1 of 1/);
    expect(h.sandbox.control.resetPasscodeCount(FIXTURE_DEVICES.androidFullyManaged)).toBe(0);

    const status = await h.intake.app.inject({ method: 'GET', url: `/v1/tenants/${tenant}/submissions`, headers: h.intake.auth('operator') });
    expect(status.json()).toMatchObject({ paused: null, blastRadius: { limitPerHour: 1, usedLastHour: 1 } });
    expect((await h.intake.app.inject({ method: 'PUT', url: `/v1/tenants/${tenant}/blast-radius`, headers: h.intake.auth('operator'), payload: { limitPerHour: 5 } })).statusCode).toBe(403);
    const raised = await h.intake.app.inject({ method: 'PUT', url: `/v1/tenants/${tenant}/blast-radius`, headers: h.intake.auth('admin'), payload: { limitPerHour: 5 } });
    expect(raised.json()).toMatchObject({ blastRadius: { limitPerHour: 5, overridden: true } });
    await h.until(second, 'succeeded');
  });

  it('pauses a tenant\'s submissions and resumes them', async () => {
    const tenant = h.sandbox.tenantId;
    const paused = await post(`/v1/tenants/${tenant}/pause`, 'admin', { reason: 'Intune incident' });
    expect(paused.json()).toMatchObject({ paused: { by: 'admin', reason: 'Intune incident' } });
    const id = await request(FIXTURE_DEVICES.androidAosp);
    await h.until(id, 'approved');
    await waitFor(async () => (await h.intake.store.get(id))?.workflow.held !== undefined, 10_000, 'the hold to be noted');
    expect((await h.intake.store.get(id))?.workflow.held).toBe('paused');
    expect((await post(`/v1/tenants/${tenant}/resume`, 'admin')).json()).toMatchObject({ paused: null });
    await h.until(id, 'succeeded');
    expect(h.sandbox.control.resetPasscodeCount(FIXTURE_DEVICES.androidAosp)).toBe(1);
  });

  it('retries a failed request on the same record, keeping its timeline', async () => {
    const device = FIXTURE_DEVICES.androidCorporateWorkProfile;
    const id = await request(device, 'failed');
    await h.until(id, 'failed');
    h.sandbox.control.scriptAction(device, { outcome: 'done', activeAfterMs: 10, finalAfterMs: 40 });
    const retried = await post(`/v1/resets/${id}/retry`, 'operator');
    expect(retried.json()).toEqual({ id, state: 'checking_eligibility' });
    await h.until(id, 'succeeded');
    const stored = await h.intake.store.get(id);
    expect(stored?.timeline.filter((t) => t.to === 'submitting')).toHaveLength(2);
    expect(stored?.timeline.find((t) => t.reason.startsWith('retried by operator'))).toBeDefined();
    expect(stored?.workflow.attempt).toBe(2);
    expect(h.sandbox.control.resetPasscodeCount(device)).toBe(2);
    expect((await post(`/v1/resets/${id}/retry`, 'operator')).statusCode).toBe(409);
  });
});
