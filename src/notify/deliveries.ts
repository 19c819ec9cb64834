/**
 * The notifications' read and retry API, for the intake's routes and the operations dashboard: a request's
 * notifications and their delivery state, the undeliverable ones, and an operator's retry (recorded in the request's
 * timeline). It reads the ledger and the notify queue; it never touches the reset queue or the request's state.
 */
import type { Job } from 'bullmq';
import { AppError } from '../app/errors';
import type { Redis } from 'ioredis';
import { NOTIFY_EVENTS, notifyJobId, type JobPayload } from '../queue/catalog';
import { enqueueNotification, type Queues } from '../queue/queues';
import type { WorkflowStore } from '../store/workflow-store';
import { DeliveryLedger, type DeliveryRecord, type DeliveryState, type DeliveryTarget } from './ledger';

/** A notification as operators see it: the ledger's record, or only the queue's state when no attempt ran yet. */
export interface DeliveryView extends Omit<DeliveryRecord, 'steps' | 'updatedAt'> {
  readonly steps: Readonly<Record<string, string>>;
  readonly updatedAt?: string;
  /** The BullMQ job's state: waiting, delayed, active, completed, failed, or unknown (removed). */
  readonly jobState: string;
}

/** An operator's retry that cannot be done: an application error (src/app/errors.ts), 404 or 409 over HTTP. */
export class DeliveryActionError extends AppError {
  constructor(
    readonly status: 404 | 409,
    code: string,
    message: string,
  ) {
    super(status === 404 ? 'not_found' : 'conflict', code, message);
    this.name = 'DeliveryActionError';
  }
}

export interface NotificationDeliveries {
  /** Every notification of the request: recorded ones, and queued ones that have not run yet. */
  list(requestId: string): Promise<DeliveryView[]>;
  /** Undeliverable notifications across requests, most recent first. */
  undeliverable(limit?: number): Promise<DeliveryView[]>;
  /**
   * An operator's retry of one notification: a failed (undeliverable) job runs again with fresh attempts; a delayed
   * one runs now. Steps already delivered are not repeated. Recorded in the request's timeline.
   */
  retry(target: DeliveryTarget, actor: string): Promise<DeliveryView>;
}

const ACTIVE_JOB = new Set(['waiting', 'active', 'waiting-children', 'prioritized']);

/** The job payload of a notification target (`requestAttempt` 1 is the same as none). */
function payloadOf(target: DeliveryTarget): JobPayload<'notify'> {
  const attempt = target.requestAttempt ?? 1;
  return { requestId: target.requestId, event: target.event, channel: target.channel, ...(target.ticket === undefined ? {} : { ticket: target.ticket }), ...(attempt > 1 ? { attempt } : {}) };
}

function pendingView(target: DeliveryTarget & { id: string }, jobState: string, attempts: number): DeliveryView {
  const state: DeliveryState = jobState === 'failed' ? 'undeliverable' : jobState === 'delayed' && attempts > 0 ? 'retrying' : 'pending';
  return { ...target, state, attempts, steps: {}, jobState };
}

export function createNotificationDeliveries(deps: { redis: Redis; prefix: string; queues: Queues; workflow: WorkflowStore; now?: () => Date }): NotificationDeliveries {
  const ledger = new DeliveryLedger(deps.redis, deps.prefix, deps.now);
  const queue = deps.queues.notify;

  async function jobOf(id: string): Promise<Job | undefined> {
    return (await queue.getJob(id)) ?? undefined;
  }

  async function view(record: DeliveryRecord): Promise<DeliveryView> {
    const job = await jobOf(record.id);
    return { ...record, jobState: job === undefined ? 'unknown' : await job.getState() };
  }

  async function viewOf(target: DeliveryTarget & { id: string }): Promise<DeliveryView | undefined> {
    const record = await ledger.get(target.id);
    if (record !== undefined) return view(record);
    const job = await jobOf(target.id);
    return job === undefined ? undefined : pendingView(target, await job.getState(), job.attemptsMade);
  }

  async function record(requestId: string, reason: string, details: Record<string, unknown>, actor: string): Promise<void> {
    for (let tries = 0; tries < 3; tries++) {
      const current = await deps.workflow.load(requestId);
      if (current === undefined) return;
      if (await deps.workflow.annotate(current.request, { actor, reason, details })) return;
    }
    throw new DeliveryActionError(409, 'request_changed', 'The request changed while recording the retry; retry');
  }

  return {
    async list(requestId) {
      const recorded = await ledger.listForRequest(requestId);
      const seen = new Set(recorded.map((r) => r.id));
      const views = await Promise.all(recorded.map(view));
      // Jobs queued but not yet run (no ledger record): each event on each channel of the request itself.
      const current = await deps.workflow.load(requestId);
      const attempts = Array.from({ length: current?.workflow.attempt ?? 1 }, (_, i) => i + 1);
      const candidates = attempts.flatMap((attempt) =>
        NOTIFY_EVENTS.flatMap((event) => (['ticket', 'email'] as const).map((channel) => ({ requestId, event, channel, ...(attempt > 1 ? { requestAttempt: attempt } : {}) }))),
      );
      const linked = (current?.request.linkedTickets ?? []).map((t) => ({ requestId, event: 'linked_to_active_request' as const, channel: 'ticket' as const, ticket: { system: t.system, key: t.key } }));
      for (const target of [...candidates, ...linked]) {
        const id = notifyJobId(payloadOf(target));
        if (seen.has(id)) continue;
        const job = await jobOf(id);
        if (job !== undefined) views.push(pendingView({ ...target, id }, await job.getState(), job.attemptsMade));
      }
      return views;
    },

    async undeliverable(limit = 100) {
      return Promise.all((await ledger.listUndeliverable(limit)).map(view));
    },

    async retry(asked, actor) {
      const current = await deps.workflow.load(asked.requestId);
      if (current === undefined) throw new DeliveryActionError(404, 'not_found', `No request with id ${asked.requestId}`);
      // The request's latest attempt that has this notification (a retried request has new ones).
      let target: DeliveryTarget = asked;
      for (let attempt = asked.requestAttempt ?? current.workflow.attempt ?? 1; attempt > 1; attempt -= 1) {
        const candidate = { ...asked, requestAttempt: attempt };
        const candidateId = notifyJobId(payloadOf(candidate));
        if ((await ledger.get(candidateId)) !== undefined || (await jobOf(candidateId)) !== undefined) {
          target = candidate;
          break;
        }
      }
      const payload = payloadOf(target);
      const id = notifyJobId(payload);
      const recorded = await ledger.get(id);
      const job = await jobOf(id);
      const jobState = job === undefined ? 'unknown' : await job.getState();
      if (recorded?.state === 'delivered' || recorded?.state === 'skipped') {
        throw new DeliveryActionError(409, 'already_delivered', `The ${target.event} notification on the ${target.channel} channel was already ${recorded.state}`);
      }
      if (ACTIVE_JOB.has(jobState)) throw new DeliveryActionError(409, 'in_progress', `The ${target.event} notification on the ${target.channel} channel is queued or being delivered now`);
      if (job === undefined && recorded === undefined) {
        throw new DeliveryActionError(404, 'not_found', `The request has no ${target.event} notification on the ${target.channel} channel`);
      }
      if (job !== undefined && jobState === 'failed') {
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      } else if (job !== undefined && jobState === 'delayed') {
        await job.promote();
      } else {
        // The job was removed (retention) or finished without a delivery: queue it again under the same id.
        if (job !== undefined) await job.remove();
        await enqueueNotification(deps.queues, payload);
      }
      await ledger.reopen({ ...target, id });
      await record(target.requestId, `notification ${target.event} on the ${target.channel} channel retried by ${actor}`, { notification: id, previousState: recorded?.state ?? jobState }, actor);
      const shown = await viewOf({ ...target, id });
      return shown ?? pendingView({ ...target, id }, 'waiting', 0);
    },
  };
}
