import { DeliveryLedger } from '../../src/notify/ledger';
import { Worker, UnrecoverableError } from 'bullmq';
import type { RequestState } from '../../src/domain/request';
import { enqueueNotification } from '../../src/queue/queues';
import { createRedis } from '../../src/redis/connection';
import { WorkflowStore } from '../../src/store/workflow-store';
import { waitFor } from '../support/env';
import { JIRA_SECRET, SERVICENOW_SECRET, type TestIntake } from '../support/intake';
import { submitFromTicket } from '../support/webhooks';

/** Submits an API request as the submitter token (or, with a ticket, a delivery from that ticket); returns its id. */
export async function submit(t: TestIntake, serial: string, extra: Record<string, unknown> = {}): Promise<string> {
  // A request with a ticket comes from that ticket's webhook, as in production.
  const { ticket, requestedBy, ...rest } = extra as { ticket?: { system: 'jira' | 'servicenow'; key: string }; requestedBy?: string };
  if (ticket !== undefined && Object.keys(rest).length === 0) return submitFromTicket(t.app, { jira: JIRA_SECRET, servicenow: SERVICENOW_SECRET }, ticket, serial, requestedBy);
  const res = await t.app.inject({ method: 'POST', url: '/v1/resets', headers: t.auth('submitter'), payload: { device: { serialNumber: serial }, requestedBy: 'anna@contoso.com', ...extra } });
  if (res.statusCode !== 202) throw new Error(`submit answered ${String(res.statusCode)}: ${res.body}`);
  return res.json<{ id: string }>().id;
}

/** Moves a request through `states` as the worker would (legal transitions only), with no worker running. */
export async function walk(t: TestIntake, id: string, ...states: RequestState[]): Promise<void> {
  const workflow = new WorkflowStore(t.redis, t.store);
  for (const to of states) {
    const current = await workflow.load(id);
    if (current === undefined) throw new Error(`no request ${id}`);
    // As the worker does: the outcome's reason with the final state; a new attempt starts from fresh workflow data.
    const data =
      to === 'failed' ? { ...current.workflow, outcomeReason: 'action_failed' } : to === 'succeeded' ? { ...current.workflow, outcomeReason: 'done' } : current.request.state === 'failed' ? { attempt: 2 } : undefined;
    const moved = await workflow.transition(current.request, to, { actor: 'test-worker', reason: `test moved it to ${to}` }, data);
    if (!moved) throw new Error(`could not move ${id} to ${to}`);
  }
}

/** A notification that failed every attempt: queued, then failed for good by a throwaway notify worker. */
export async function undeliverableNotification(t: TestIntake, requestId: string, event: 'failed' | 'succeeded' = 'failed'): Promise<string> {
  await enqueueNotification(t.queues, { requestId, event, channel: 'email' });
  const jobId = `${requestId}|${event}|email`;
  const connection = createRedis(t.config.REDIS_URL, 'worker');
  const worker = new Worker(
    'notify',
    (job) => {
      if (job.id !== jobId) throw new Error('not this test\'s job');
      throw new UnrecoverableError('SMTP 550 mailbox unavailable');
    },
    // Other tests' notifications it takes are put back for a minute (any backoff the catalog names is answered here).
    { connection, prefix: t.prefix, autorun: true, settings: { backoffStrategy: () => 60_000 } },
  );
  try {
    await waitFor(async () => (await t.queues.notify.getJob(jobId))?.finishedOn !== undefined, 10_000, 'the notification to fail');
    // What the notify processor records when it gives up (workers/notify/processor.ts).
    await new DeliveryLedger(t.redis, t.prefix).undeliverable({ id: jobId, requestId, event, channel: 'email' }, { code: 'smtp_rejected', message: 'SMTP 550 mailbox unavailable', permanent: true });
  } finally {
    await worker.close();
    await connection.quit().catch(() => undefined);
  }
  return jobId;
}
