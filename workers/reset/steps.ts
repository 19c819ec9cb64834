import { NOT_REQUIRED_APPROVER, decideApproval, nextApprovalCheckDelayMs } from '../../src/domain/approval-policy';
import { evaluateEligibility, needsTenantFacts, type DeviceFacts } from '../../src/domain/eligibility';
import type { ResetRequest } from '../../src/domain/request';
import { addMatches, NO_MATCHES, resolveLookup, toCandidate, withCandidates, type DeviceResolution } from '../../src/domain/device-match';
import type { WorkflowData } from '../../src/domain/workflow';
import type { ActionResult, AdmittedReset } from '../../src/graph/gateway';
import { GraphError } from '../../src/graph/errors';
import type { ResetDeps, StepResult } from './deps';
import { moveTo } from './outcome';
import { describeUnsuccessfulAction } from '../../src/domain/action-errors';
import { backoffMs } from '../../src/remote/backoff';
import { failedOnSuccess } from '../../src/remote/classify';

/** A held submission is looked at again this often (and at once when an admin resumes or raises the limit). */
const HELD_RECHECK_MS = 60_000;

/** A verdict this recent is not re-checked before submitting: nothing waited in between (no approval, no hold). */
const RECHECK_AFTER_MS = 60_000;

/** Thrown by the attempt count when the request has left `submitting` (an operator, another worker): nothing is sent. */
class Superseded extends Error {
  override readonly name = 'Superseded';
}

/** Graph's clock and ours may differ: an action that started this long before `submittedAt` still counts as ours. */
const CLOCK_MARGIN_MS = 2 * 60_000;

function policy(deps: ResetDeps) {
  return { now: deps.now(), maxSyncAgeHours: deps.settings.maxSyncAgeHours, iosRemovePasscode: deps.settings.iosRemovePasscode };
}

/**
 * The device the request names, proven: a device counts only when its own identifier equals the one asked for
 * (src/domain/device-match.ts), whatever Graph answered. By id, the device Graph returns must carry that id.
 */
async function resolveDevice(deps: ResetDeps, request: ResetRequest, signal?: AbortSignal): Promise<DeviceResolution<DeviceFacts>> {
  const { kind, value } = request.device;
  if (kind === 'id') {
    const device = await deps.gateway.getDevice(value, signal);
    const found = addMatches(NO_MATCHES, device === undefined ? [] : [device], value, (d) => d.id);
    return resolveLookup(request.device, { ...found, complete: true, pages: 1 });
  }
  const lookup = await deps.gateway.findDevices(kind, value, signal);
  if (lookup.seen > lookup.exactCount) {
    // Intune answered devices that are not the one asked for: its filter was ignored, or looser than `eq`.
    deps.log.warn({ requestId: request.id, by: kind, answered: lookup.seen, matched: lookup.exactCount, pages: lookup.pages, complete: lookup.complete }, 'device lookup: Intune answered other devices; matched each one locally');
  }
  return resolveLookup(request.device, lookup);
}

/** Step 1: find the device, and check that it qualifies, before anyone is asked to approve. */
export async function checkEligibility(deps: ResetDeps, request: ResetRequest, workflow: WorkflowData, signal?: AbortSignal): Promise<StepResult> {
  const resolution = await resolveDevice(deps, request, signal);
  if (resolution.kind === 'refused') {
    const candidates = resolution.candidates.map(toCandidate);
    return moveTo(deps, request, 'ineligible', withCandidates(resolution.reason, resolution.message, candidates), { ...workflow, candidates, outcomeReason: resolution.reason });
  }
  const { device } = resolution;
  const lock = await deps.store.lockManagedDevice(request.id, device.id);
  if (!lock.ok) {
    return moveTo(deps, request, 'ineligible', `Device ${device.deviceName} already has an active request (${lock.holderId}); no second reset`, {
      ...workflow,
      candidates: [toCandidate(device)],
      outcomeReason: 'device_has_active_request',
    }, { activeRequestId: lock.holderId });
  }
  const tenant = needsTenantFacts(device) ? await deps.gateway.tenantFacts(signal) : undefined;
  const verdict = evaluateEligibility(device, tenant, policy(deps));
  const known: WorkflowData = { ...workflow, managedDeviceId: device.id, deviceName: device.deviceName, operatingSystem: device.operatingSystem, osVersion: device.osVersion };
  if (!verdict.eligible) return moveTo(deps, request, 'ineligible', verdict.message, { ...known, outcomeReason: verdict.reason }, { rule: verdict.rule });
  const eligible: WorkflowData = { ...known, effect: verdict.effect, eligibilityNotes: verdict.notes, eligibleAt: deps.now().toISOString() };
  if (!deps.settings.approvalRequired) {
    return moveTo(deps, request, 'approved', 'the device qualifies; approval is not required by policy', { ...eligible, approver: NOT_REQUIRED_APPROVER });
  }
  const deadline = new Date(deps.now().getTime() + deps.settings.approvalDeadlineMs).toISOString();
  return moveTo(deps, request, 'awaiting_approval', `the device qualifies (${verdict.rule}); waiting for approval`, { ...eligible, approvalChecks: 0, approvalDeadline: deadline });
}

/** Step 2: the approval, read from the ticket's system of record (or given through the API). */
export async function checkApproval(deps: ResetDeps, request: ResetRequest, workflow: WorkflowData, signal?: AbortSignal): Promise<StepResult> {
  const evidence = await deps.approvals.read(request, workflow, signal);
  const outcome = decideApproval(evidence, evidence.requester ?? request.requestedBy, { required: true, allowSelfApproval: false, allowedApprovers: deps.settings.allowedApprovers });
  if (outcome.kind === 'approved') {
    const name = evidence.names?.[outcome.approver];
    return moveTo(deps, request, 'approved', `approved by ${name === undefined ? outcome.approver : `${name} (${outcome.approver})`}`, { ...workflow, approver: outcome.approver });
  }
  if (outcome.kind === 'rejected') return moveTo(deps, request, 'rejected', outcome.message, { ...workflow, outcomeReason: outcome.reason });
  const now = deps.now().getTime();
  const deadline = Date.parse(workflow.approvalDeadline ?? '') || now;
  if (now >= deadline) return moveTo(deps, request, 'expired', 'no approval before the deadline', { ...workflow, outcomeReason: 'expired' });
  const checks = (workflow.approvalChecks ?? 0) + 1;
  await deps.store.saveWorkflow(request.id, request.state, { ...workflow, approvalChecks: checks });
  return { kind: 'wait', ms: Math.min(nextApprovalCheckDelayMs(checks), deps.settings.approvalRecheckMaxMs, deadline - now) };
}

/** The eligibility verdict again, from a fresh read of the device; undefined when it still qualifies. */
async function recheck(deps: ResetDeps, request: ResetRequest, workflow: WorkflowData, signal?: AbortSignal): Promise<StepResult | undefined> {
  const id = workflow.managedDeviceId;
  const device = id === undefined ? undefined : await deps.gateway.getDevice(id, signal);
  if (device === undefined) return moveTo(deps, request, 'ineligible', 'the device is no longer in Intune', { ...workflow, outcomeReason: 'device_not_found' });
  const tenant = needsTenantFacts(device) ? await deps.gateway.tenantFacts(signal) : undefined;
  const verdict = evaluateEligibility(device, tenant, policy(deps));
  if (!verdict.eligible) return moveTo(deps, request, 'ineligible', `re-checked before submitting: ${verdict.message}`, { ...workflow, outcomeReason: verdict.reason });
  return undefined;
}

/**
 * Step 3: eligibility again, just before submitting: the device may have changed while the approval waited. When
 * nothing waited (approval is not required, and the verdict is under a minute old), the verdict stands.
 */
export async function recheckAndSubmit(deps: ResetDeps, request: ResetRequest, workflow: WorkflowData, signal?: AbortSignal): Promise<StepResult> {
  const verifiedAt = Date.parse(workflow.eligibleAt ?? '');
  const fresh =
    workflow.approver === NOT_REQUIRED_APPROVER && workflow.held === undefined && Number.isFinite(verifiedAt) && deps.now().getTime() - verifiedAt < RECHECK_AFTER_MS;
  if (!fresh) {
    const refused = await recheck(deps, request, workflow, signal);
    if (refused !== undefined) return refused;
  }
  const admission = await deps.tenantControls.admit(deps.gateway.tenantId, request.id);
  if (!admission.ok) {
    if (workflow.held !== admission.why) {
      const why =
        admission.why === 'paused'
          ? 'submissions are paused for this tenant by an operator; waiting'
          : `the blast-radius limit is reached (${admission.used} of ${admission.limit} resets this hour); waiting for an admin or the next hour`;
      deps.log.warn({ requestId: request.id, tenantId: deps.gateway.tenantId, held: admission.why }, 'submission held');
      await deps.store.annotate(request, { actor: 'worker', reason: why }, { ...workflow, held: admission.why });
    }
    return { kind: 'wait', ms: HELD_RECHECK_MS };
  }
  const submittedAt = deps.now().toISOString();
  const reason = deps.settings.dryRun ? 'dry run: everything but the resetPasscode call' : 'submitting resetPasscode';
  const rest: WorkflowData = { ...workflow };
  delete (rest as { held?: unknown }).held;
  return moveTo(deps, request, 'submitting', reason, { ...rest, submittedAt, submitAttempts: 0, ...(deps.settings.dryRun ? { dryRun: true } : {}) });
}

/**
 * This request's resetPasscode action: the newest one that started after the baseline (the newest action that existed
 * before our first POST) and since our submission (less a clock margin, as Graph's clock is not ours).
 */
function ours(results: readonly ActionResult[], workflow: WorkflowData): ActionResult | undefined {
  const since = Date.parse(workflow.submittedAt ?? '') - CLOCK_MARGIN_MS;
  const baseline = workflow.baselineActionStart === undefined || workflow.baselineActionStart === '' ? Number.NEGATIVE_INFINITY : Date.parse(workflow.baselineActionStart);
  return results
    .filter((r) => r.startDateTime !== undefined && Date.parse(r.startDateTime) >= since && Date.parse(r.startDateTime) > baseline)
    .sort((a, b) => Date.parse(b.startDateTime ?? '') - Date.parse(a.startDateTime ?? ''))[0];
}

/** The start time of the newest resetPasscode action on the device, or '' when there is none. */
function newestStart(results: readonly ActionResult[]): string {
  const times = results.map((r) => r.startDateTime).filter((t): t is string => t !== undefined);
  return times.sort((a, b) => Date.parse(b) - Date.parse(a))[0] ?? '';
}

/**
 * Step 4: one resetPasscode, with no duplicate effect. `submittedAt` was recorded before; every attempt is counted
 * before its POST; and a re-run (after a crash, a timeout or a lost answer) first looks for an action started since
 * `submittedAt`, and keeps looking for `submitSettleMs` after an unanswered POST before it posts again.
 */
export async function submit(deps: ResetDeps, request: ResetRequest, workflow: WorkflowData, signal?: AbortSignal): Promise<StepResult> {
  const id = workflow.managedDeviceId ?? '';
  if (workflow.dryRun === true) return moveTo(deps, request, 'succeeded', 'dry run: resetPasscode was not sent', { ...workflow, outcomeReason: 'dry_run' });
  const attempts = workflow.submitAttempts ?? 0;
  if (attempts > 0) {
    const found = ours(await deps.gateway.resetActionResults(id, signal), workflow);
    if (found !== undefined) return moveTo(deps, request, 'awaiting_device', 'the resetPasscode action exists; following it', { ...workflow, pollChecks: 0, actionState: found.actionState });
    const lastAttempt = Date.parse(workflow.lastSubmitAttemptAt ?? '') || 0;
    const settleLeft = lastAttempt + deps.settings.submitSettleMs - deps.now().getTime();
    if (settleLeft > 0) return { kind: 'wait', ms: Math.min(settleLeft, 15_000) };
  }
  let counted: WorkflowData | undefined;
  // Once the budget has admitted the POST, and before it is sent: the baseline, the newest action already on the
  // device (read at the POST's slot with the read its admission covers, ADR 017), so that it is never mistaken for
  // ours; then the attempt, counted. A POST that must wait has read and counted nothing, and one whose request moved
  // on meanwhile is not sent. Before the first attempt nothing of ours was ever sent, so the baseline is always read
  // afresh (a stored one, from an older version, may be a wait old); after one, the stored baseline stands (a read
  // now could see our own action), and without one every action since `submittedAt` counts as ours.
  const beforeSend = async (admitted: AdmittedReset): Promise<void> => {
    const baselineActionStart = attempts === 0 ? newestStart(await admitted.resetActionResults()) : (workflow.baselineActionStart ?? '');
    const attempt: WorkflowData = { ...workflow, baselineActionStart, submitAttempts: attempts + 1, lastSubmitAttemptAt: deps.now().toISOString() };
    if (!(await deps.store.saveWorkflow(request.id, request.state, attempt))) throw new Superseded('the request left submitting before its POST');
    counted = attempt;
  };
  try {
    await deps.gateway.resetPasscode(id, signal, beforeSend);
  } catch (err) {
    if (err instanceof Superseded) return { kind: 'done' };
    // Not sent: a budget wait, or the baseline read failed. The step's usual handling (a wait, a backoff) applies.
    if (counted === undefined) throw err;
    if (err instanceof GraphError && err.code === 'graph_throttled') {
      // A 429 is a clear "not sent": this attempt does not count, and no settling is needed before the next.
      await deps.store.saveWorkflow(request.id, request.state, workflow);
      throw err;
    }
    if (err instanceof GraphError && !err.permanent) {
      // The POST may or may not have taken effect: the next run looks for its action before posting again.
      deps.log.warn({ requestId: request.id, code: err.code }, 'resetPasscode got no clear answer; checking for its action before any new attempt');
      return { kind: 'wait', ms: Math.min(5_000, Math.max(deps.settings.submitSettleMs, 100)) };
    }
    if (err instanceof GraphError && failedOnSuccess(err)) {
      // Graph accepted the POST and only its answer could not be read (an OData in-stream error leaves a success cut
      // short): the reset was sent. Follow its action; never send it again, never call it a failure.
      deps.log.warn({ requestId: request.id, status: err.status, code: err.code }, 'resetPasscode: Graph answered success with a body the client could not read; following its action');
      return followAction(deps, request, counted, `resetPasscode accepted by Graph (${String(err.status)}), though its answer could not be read; waiting for the device`);
    }
    throw err;
  }
  if (counted === undefined) {
    // Not possible with the gateway (it runs beforeSend before every POST), but never POST again for it: follow it.
    deps.log.error({ requestId: request.id }, 'resetPasscode was sent without its attempt counted; following its action');
    counted = { ...workflow, baselineActionStart: workflow.baselineActionStart ?? '', submitAttempts: attempts + 1, lastSubmitAttemptAt: deps.now().toISOString() };
  }
  return followAction(deps, request, counted, 'resetPasscode accepted by Graph (204); waiting for the device');
}

/** A sent reset: on to awaiting_device. The device needs time to pick the action up: the first look is one poll interval later. */
async function followAction(deps: ResetDeps, request: ResetRequest, counted: WorkflowData, reason: string): Promise<StepResult> {
  const moved = await moveTo(deps, request, 'awaiting_device', reason, { ...counted, pollChecks: 0 });
  return moved.kind === 'next' ? { kind: 'wait', ms: pollDelayMs(1, deps.settings.pollBaseMs) } : moved;
}

/** Polling backs off from seconds to minutes. */
export function pollDelayMs(checks: number, baseMs = 5_000): number {
  return backoffMs(checks, { baseMs, maxMs: 5 * 60_000 });
}

/** Step 5: follow the action until the device reports an outcome, or the deadline passes. */
export async function poll(deps: ResetDeps, request: ResetRequest, workflow: WorkflowData, signal?: AbortSignal): Promise<StepResult> {
  const found = ours(await deps.gateway.resetActionResults(workflow.managedDeviceId ?? '', signal), workflow);
  const state = found?.actionState.toLowerCase();
  const seen: WorkflowData = { ...workflow, ...(found === undefined ? {} : { actionState: found.actionState }), ...(found?.errorCode === undefined ? {} : { actionErrorCode: found.errorCode }) };
  if (state === 'done') {
    const what = workflow.effect === 'passcode_removed' ? 'the passcode was removed' : 'the passcode was reset';
    return moveTo(deps, request, 'succeeded', `${what}; the device reported done`, { ...seen, outcomeReason: 'done' });
  }
  if (state === 'failed' || state === 'notsupported' || state === 'canceled') {
    const reason = state === 'failed' ? 'action_failed' : state === 'notsupported' ? 'action_not_supported' : 'action_canceled';
    const unsuccessful = state === 'failed' ? 'failed' : state === 'notsupported' ? 'notSupported' : 'canceled';
    return moveTo(deps, request, 'failed', describeUnsuccessfulAction(found?.actionState ?? state, unsuccessful, found?.errorCode), { ...seen, outcomeReason: reason });
  }
  const since = Date.parse(workflow.submittedAt ?? '') || deps.now().getTime();
  if (deps.now().getTime() - since >= deps.settings.actionDeadlineMs) {
    return moveTo(deps, request, 'timed_out', 'the device did not report an outcome before the deadline', { ...seen, outcomeReason: 'timed_out' });
  }
  const checks = (workflow.pollChecks ?? 0) + 1;
  await deps.store.saveWorkflow(request.id, request.state, { ...seen, pollChecks: checks });
  return { kind: 'wait', ms: pollDelayMs(checks, deps.settings.pollBaseMs) };
}
