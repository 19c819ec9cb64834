import type { NOTIFY_EVENTS } from '../../src/queue/catalog';
import { enqueueEventNotifications } from '../../src/queue/queues';
import { isFinal, type RequestState, type ResetRequest } from '../../src/domain/request';
import type { WorkflowData } from '../../src/domain/workflow';
import { ACTOR, type ResetDeps, type StepResult } from './deps';

type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

const EVENT_OF: Partial<Record<RequestState, NotifyEvent>> = {
  awaiting_approval: 'awaiting_approval',
  succeeded: 'succeeded',
  failed: 'failed',
  ineligible: 'ineligible',
  rejected: 'rejected',
  expired: 'expired',
  timed_out: 'timed_out',
  cancelled: 'cancelled',
};

/** What moving a request and announcing it needs of the reset deps. */
export type OutcomeDeps = Pick<ResetDeps, 'store' | 'log' | 'queues' | 'notifyChannels'>;

/** Moves the request and tells the people involved. A lost race (another worker moved it) ends this run quietly. */
export async function moveTo(
  deps: OutcomeDeps,
  request: ResetRequest,
  to: RequestState,
  reason: string,
  workflow: WorkflowData,
  details?: Readonly<Record<string, unknown>>,
): Promise<StepResult> {
  const moved = await deps.store.transition(request, to, { actor: ACTOR, reason, ...(details === undefined ? {} : { details }) }, workflow);
  if (!moved) {
    deps.log.info({ requestId: request.id, from: request.state, to }, 'the request was moved by someone else; this run ends');
    return { kind: 'done' };
  }
  deps.log.info({ requestId: request.id, from: request.state, to, reason }, 'request moved');
  await announce(deps, request, to, workflow);
  // A final state has no next step: this run ends here, without reading the request again.
  return isFinal(to) ? { kind: 'done' } : { kind: 'next' };
}

/**
 * Queues the notifications of reaching `state`, if it is announced. Idempotent (deterministic job ids), so a re-run
 * may call it again: the processor does, for a request it finds final or newly awaiting approval, in case the worker
 * that moved it died before it got here.
 */
export async function announce(deps: OutcomeDeps, request: ResetRequest, state: RequestState, workflow: WorkflowData): Promise<void> {
  const event = EVENT_OF[state];
  if (event !== undefined) await enqueueEventNotifications(deps.queues, request, event, deps.notifyChannels?.(event), workflow.attempt ?? 1);
}
