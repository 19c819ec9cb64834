/**
 * The `notify` queue's processor. Each attempt is recorded in the ledger; a failure is classified: permanent (or the
 * last attempt) makes the notification undeliverable at once, visible to operators, who can retry it; otherwise the
 * job is retried after the backoff, never sooner than the remote end's Retry-After (see `notifyBackoff`). A
 * notification never touches the reset queue or the request's state.
 */
import { UnrecoverableError, type Job } from 'bullmq';
import { notifyJobId, parsePayload } from '../../src/queue/catalog';
import { notifyRetryDelayMs, NotifyRetryError } from '../../src/notify/errors';
import { classify } from '../../src/remote/classify';
import type { NotifyDeps } from './deps';
import { deliverNotification } from './deliver';

export function createNotifyProcessor(deps: NotifyDeps) {
  return async (job: Job, _token?: string, signal?: AbortSignal): Promise<void> => {
    const payload = parsePayload('notify', job.data);
    const id = job.id ?? notifyJobId(payload);
    const target = {
      id,
      requestId: payload.requestId,
      event: payload.event,
      channel: payload.channel,
      ...(payload.ticket === undefined ? {} : { ticket: payload.ticket }),
      ...(payload.attempt === undefined ? {} : { requestAttempt: payload.attempt }),
    };
    const attempt = job.attemptsMade + 1;
    const context = { requestId: payload.requestId, event: payload.event, channel: payload.channel, notification: id, attempt };
    const log = {
      info: (obj: object, msg: string) => { deps.log.info({ ...context, ...obj }, msg); },
      warn: (obj: object, msg: string) => { deps.log.warn({ ...context, ...obj }, msg); },
      error: (obj: object, msg: string) => { deps.log.error({ ...context, ...obj }, msg); },
    };
    await deps.ledger.begin(target, attempt);
    let outcome;
    try {
      outcome = await deliverNotification(deps, id, payload, signal);
    } catch (err) {
      // Permanent: undeliverable at once. Rate-limited, transient and internal (a bug or an unforeseen failure): retried.
      const failure = classify(err);
      const permanent = failure.kind === 'permanent';
      const attempts = job.opts.attempts ?? 1;
      const message = failure.kind === 'internal' ? `${failure.message} while delivering` : failure.message;
      const error = { code: failure.code, message, permanent };
      if (permanent || attempt >= attempts) {
        await deps.ledger.undeliverable(target, error);
        log.error({ err: error }, permanent ? 'notification undeliverable: retrying cannot help; an operator can retry it once fixed' : `notification undeliverable after ${attempts} attempts; an operator can retry it`);
        throw new UnrecoverableError(message);
      }
      // The remote end's Retry-After is the earliest next attempt; the backoff may add to it.
      await deps.ledger.retrying(target, error, failure.retryAfterMs === undefined ? undefined : new Date(Date.now() + failure.retryAfterMs));
      log.warn({ err: error, retryAfterMs: failure.retryAfterMs }, 'notification not delivered; it will be retried');
      throw new NotifyRetryError(message, failure.retryAfterMs);
    }
    if (outcome.kind === 'skipped') {
      await deps.ledger.skipped(target, outcome.reason);
      log.info({ reason: outcome.reason }, 'notification skipped');
      return;
    }
    await deps.ledger.delivered(target);
    log.info({}, 'notification delivered');
  };
}

/**
 * BullMQ's backoff for the notify queue (catalog backoff type `notify`): exponential with jitter from
 * NOTIFY_BACKOFF_BASE_MS up to NOTIFY_BACKOFF_MAX_MS, and never sooner than a Retry-After the remote end gave.
 */
export function notifyBackoff(backoff: { readonly baseMs: number; readonly maxMs: number }) {
  return (attemptsMade: number, _type?: string, err?: Error): number => notifyRetryDelayMs(attemptsMade, backoff, err instanceof NotifyRetryError ? err.retryAfterMs : undefined);
}
