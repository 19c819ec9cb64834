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
  /**
   * In a run's view (`forRun`): per request, what this view last read, and whether its own transition wrote it since.
   * Undefined in the shared store, which remembers nothing.
   */
  private readonly seen: Map<string, { readonly current: CurrentRequest; readonly moved: boolean }> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly requests: RequestStore,
    private readonly now: () => Date = () => new Date(),
    run = false,
  ) {
    this.seen = run ? new Map() : undefined;
  }

  /**
   * A view of the store for one processor run. Its writes are the store's; a load that follows the view's own
   * successful transition answers what that transition wrote (the state, `updatedAt` and workflow data; the rest as
   * last read), without reading Redis again. Every other load reads Redis, and any other write forgets what it knew.
   * A run's steps read and move one request in a row, and every write stays conditional on the state the step saw.
   */
  forRun(): WorkflowStore {
    return new WorkflowStore(this.redis, this.requests, this.now, true);
  }

  /** The request's state and workflow data (not its timeline): read on every step, so kept small. */
  async load(id: string): Promise<CurrentRequest | undefined> {
    const known = this.seen?.get(id);
    if (known?.moved === true) {
      this.seen?.set(id, { current: known.current, moved: false });
      return known.current;
    }
    const current = await this.requests.getCurrent(id);
    if (this.seen !== undefined) {
      if (current === undefined) this.seen.delete(id);
      else this.seen.set(id, { current, moved: false });
    }
    return current;
  }

  /** What this view knows after a write to the request: the transition's outcome, or nothing. */
  private noteWrite(id: string, moved?: CurrentRequest): void {
    if (this.seen === undefined) return;
    if (moved === undefined) this.seen.delete(id);
    else this.seen.set(id, { current: moved, moved: true });
  }

  /**
   * Moves the request on. Returns false when it was no longer in `request.state` (someone else moved it first), or,
   * with `unchangedSince`, when its `updatedAt` is no longer that: moved away and back meanwhile (a new attempt).
   */
  async transition(request: ResetRequest, to: RequestState, note: TransitionNote, workflow?: WorkflowData, unchangedSince?: string): Promise<boolean> {
    if (!canTransition(request.state, to)) throw new IllegalTransitionError(request.state, to);
    const at = this.now().toISOString();
    const entry: TimelineEntry = { at, from: request.state, to, actor: note.actor, reason: note.reason, ...(note.details === undefined ? {} : { details: note.details }) };
    const keys = this.requests.keys;
    const locks = [...Object.values(this.requests.lockKeysFor(request))];
    if (workflow?.managedDeviceId !== undefined) locks.push(this.requests.keys.managedDeviceLock(workflow.managedDeviceId));
    const scriptKeys = [keys.request(request.id), keys.timeline(request.id), keys.audit, keys.byState(request.state), keys.byState(to), ...locks];
    let result: number | undefined;
    try {
      result = await storeCall(() =>
        transition.run(this.redis, scriptKeys, [request.id, request.state, to, at, timelineFormat.encode(entry), this.requests.auditMinId(), workflow === undefined ? '' : workflowFormat.encode(workflow), isFinal(to) ? '1' : '0', unchangedSince ?? '']),
      );
    } finally {
      this.noteTransition(request, to, at, workflow, result === 1);
    }
    return result === 1;
  }

  /** After a transition: what the request now is, when this view read it and the transition went through. */
  private noteTransition(request: ResetRequest, to: RequestState, at: string, workflow: WorkflowData | undefined, moved: boolean): void {
    if (this.seen === undefined) return;
    const before = this.seen.get(request.id)?.current;
    const known = moved && before !== undefined && before.request.state === request.state;
    this.noteWrite(request.id, known ? { request: { ...before.request, state: to, updatedAt: at }, workflow: workflow ?? before.workflow } : undefined);
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
    this.noteWrite(request.id);
    const result = await storeCall(() =>
      annotate.run(this.redis, [keys.request(request.id), keys.timeline(request.id), keys.audit], [request.id, request.state, timelineFormat.encode(entry), this.requests.auditMinId(), workflow === undefined ? '' : workflowFormat.encode(workflow)]),
    );
    return result === 1;
  }

  async saveWorkflow(id: string, state: RequestState, workflow: WorkflowData): Promise<boolean> {
    this.noteWrite(id);
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
