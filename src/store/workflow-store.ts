import type { Redis } from 'ioredis';
import { isFinal, type RequestState, type ResetRequest, type TimelineEntry, type TimelineEvent } from '../domain/request';
import { canTransition } from '../domain/transitions';
import type { WorkflowData } from '../domain/workflow';
import { storeCall } from './errors';
import { timelineFormat, workflowFormat } from './records';
import type { CurrentRequest, RequestStore } from './requests';
import { annotate, reserveLocks, saveWorkflow, transition } from './scripts';

export class IllegalTransitionError extends Error {
  readonly code = 'illegal_transition';
  constructor(from: RequestState, to: RequestState) {
    super(`A request cannot go from ${from} to ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

export interface TransitionNote {
  readonly actor: string;
  readonly reason: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * The reset workflow's writes: state transitions (checked against the domain's state machine, atomic with the
 * timeline, indexes and audit stream, releasing locks on a final state), workflow data, and the lock on the resolved
 * Intune device. Every write is conditional on the state the caller saw, so two workers, or a worker and an operator,
 * never both win.
 */
export class WorkflowStore {
  constructor(
    private readonly redis: Redis,
    private readonly requests: RequestStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The request's state and workflow data (not its timeline): read on every step, so kept small. */
  load(id: string): Promise<CurrentRequest | undefined> {
    return this.requests.getCurrent(id);
  }

  /** Moves the request on. Returns false when it was no longer in `request.state` (someone else moved it first). */
  async transition(request: ResetRequest, to: RequestState, note: TransitionNote, workflow?: WorkflowData): Promise<boolean> {
    if (!canTransition(request.state, to)) throw new IllegalTransitionError(request.state, to);
    const at = this.now().toISOString();
    const entry: TimelineEntry = { at, from: request.state, to, actor: note.actor, reason: note.reason, ...(note.details === undefined ? {} : { details: note.details }) };
    const keys = this.requests.keys;
    const locks = [...Object.values(this.requests.lockKeysFor(request))];
    if (workflow?.managedDeviceId !== undefined) locks.push(this.requests.keys.managedDeviceLock(workflow.managedDeviceId));
    const scriptKeys = [keys.request(request.id), keys.timeline(request.id), keys.audit, keys.byState(request.state), keys.byState(to), ...locks];
    const result = await storeCall(() =>
      transition.run(this.redis, scriptKeys, [request.id, request.state, to, at, timelineFormat.encode(entry), this.requests.auditMinId(), workflow === undefined ? '' : workflowFormat.encode(workflow), isFinal(to) ? '1' : '0']),
    );
    return result === 1;
  }

  /** A timeline note without a state change (a notification written, a submission held), with optional workflow data. */
  annotate(request: ResetRequest, note: TransitionNote, workflow?: WorkflowData): Promise<boolean> {
    return this.recordEvent(request, 'note', note, workflow);
  }

  /**
   * An event on the request (an approval recorded): a timeline entry, and an audit record, that leaves the request in
   * its state (`from` and `to` both name it). Returns false when the request was no longer in `request.state`.
   */
  async recordEvent(request: ResetRequest, event: TimelineEvent, note: TransitionNote, workflow?: WorkflowData): Promise<boolean> {
    const entry: TimelineEntry = {
      at: this.now().toISOString(),
      from: request.state,
      to: request.state,
      actor: note.actor,
      reason: note.reason,
      ...(note.details === undefined ? {} : { details: note.details }),
      ...(event === 'note' ? {} : { event }),
    };
    const keys = this.requests.keys;
    const result = await storeCall(() =>
      annotate.run(this.redis, [keys.request(request.id), keys.timeline(request.id), keys.audit], [request.id, request.state, timelineFormat.encode(entry), this.requests.auditMinId(), workflow === undefined ? '' : workflowFormat.encode(workflow)]),
    );
    return result === 1;
  }

  async saveWorkflow(id: string, state: RequestState, workflow: WorkflowData): Promise<boolean> {
    const result = await storeCall(() => saveWorkflow.run(this.redis, [this.requests.keys.request(id)], [state, workflowFormat.encode(workflow)]));
    return result === 1;
  }

  /**
   * One active request per Intune device, whatever identifier the tickets used: the lock on the resolved managed
   * device id. Returns the active holder's id when another request has it.
   */
  async lockManagedDevice(id: string, managedDeviceId: string): Promise<{ readonly ok: true } | { readonly ok: false; readonly holderId: string }> {
    const key = this.requests.keys.managedDeviceLock(managedDeviceId);
    const [index, holder] = await storeCall(() => reserveLocks.run(this.redis, [key], [id, 0, this.requests.keys.request('')]));
    return index === 0 ? { ok: true } : { ok: false, holderId: holder };
  }
}
