/**
 * The notify worker against the sandbox: the real intake (its notification routes), the real worker composition
 * (workers/compose.ts startWorkers, so the notify worker runs exactly as in production) with the real ServiceNow,
 * Jira and SMTP clients over the network, the sandbox's ServiceNow, Jira, SMTP catcher and Graph, and a real Redis.
 * Requests are put into the state to announce through the store's own transitions, then their notifications are
 * queued as the reset workflow queues them.
 */
import { Writable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { createLogger } from '../../src/logging/logger';
import { startSandbox, FIXTURE_DEVICES, type Sandbox } from '@resetpc/sandbox';
import { SN_FIXTURE } from '@resetpc/sandbox/servicenow';
import { sandboxRemoteEnds } from '../../src/bin/embedded-sandbox';
import type { RequestState, ResetRequest, TicketRef } from '../../src/domain/request';
import type { WorkflowData } from '../../src/domain/workflow';
import { enqueueEventNotifications } from '../../src/queue/queues';
import type { NOTIFY_EVENTS } from '../../src/queue/catalog';
import { WorkflowStore } from '../../src/store/workflow-store';
import { DeliveryLedger, type DeliveryRecord } from '../../src/notify/ledger';
import { startWorkers, type RunningWorkers } from '../../workers/compose';
import { createTestIntake, type TestIntake } from '../support/intake';
import { waitFor } from '../support/env';

export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

export interface NotifyHarness {
  readonly intake: TestIntake;
  readonly sandbox: Sandbox;
  readonly workers: RunningWorkers;
  readonly ledger: DeliveryLedger;
  readonly workflow: WorkflowStore;
  readonly workerLogs: string[];
  /** A request in `state`, with the workflow data the reset workflow would have written. */
  seed(input: SeedInput): Promise<ResetRequest>;
  /** Queues the event's notifications as the workflow does, and waits until each one is delivered, skipped or undeliverable. */
  announce(request: ResetRequest, event: NotifyEvent, timeoutMs?: number): Promise<DeliveryRecord[]>;
  /** Waits until the notification reaches one of `states`. */
  settled(id: string, states?: readonly DeliveryRecord['state'][], timeoutMs?: number): Promise<DeliveryRecord>;
  close(): Promise<void>;
}

export interface SeedInput {
  readonly state: RequestState;
  readonly ticket?: TicketRef;
  readonly requestedBy?: string;
  readonly deviceId?: string;
  readonly workflow?: WorkflowData;
  /** The reason of the transition into `state` (the "exact reason" of a failure). */
  readonly reason?: string;
}

/** The path from `received` to each state, through the state machine's own transitions. */
const PATHS: Readonly<Record<RequestState, readonly RequestState[]>> = {
  received: [],
  checking_eligibility: ['checking_eligibility'],
  awaiting_approval: ['checking_eligibility', 'awaiting_approval'],
  approved: ['checking_eligibility', 'approved'],
  submitting: ['checking_eligibility', 'approved', 'submitting'],
  awaiting_device: ['checking_eligibility', 'approved', 'submitting', 'awaiting_device'],
  succeeded: ['checking_eligibility', 'awaiting_approval', 'approved', 'submitting', 'awaiting_device', 'succeeded'],
  failed: ['checking_eligibility', 'awaiting_approval', 'approved', 'submitting', 'awaiting_device', 'failed'],
  timed_out: ['checking_eligibility', 'awaiting_approval', 'approved', 'submitting', 'awaiting_device', 'timed_out'],
  ineligible: ['checking_eligibility', 'ineligible'],
  rejected: ['checking_eligibility', 'awaiting_approval', 'rejected'],
  expired: ['checking_eligibility', 'awaiting_approval', 'expired'],
  cancelled: ['checking_eligibility', 'awaiting_approval', 'cancelled'],
};

/** Fast retries for tests; every other notification setting as configured by `env`. */
// Both sandbox projects are configured: HD (JSM) and OPS (a software project), so notes may go to either.
const FAST = { JIRA_PROJECTS: 'HD,OPS', NOTIFY_BACKOFF_BASE_MS: '20', NOTIFY_BACKOFF_MAX_MS: '200', NOTIFY_EMAIL_FROM: 'resetpc@contoso.com', NOTIFY_EMAIL_OPERATIONS_MAILBOX: 'it-ops@contoso.com', PUBLIC_BASE_URL: 'https://resetpc.contoso.com' };

export async function startNotifyHarness(label: string, env: Record<string, string> = {}, options: { smtp?: boolean } = {}): Promise<NotifyHarness> {
  const intake = await createTestIntake(label, { ...FAST, ...env });
  const sandbox = await startSandbox({ smtpPort: options.smtp === false ? false : 0 });
  const workerLogs: string[] = [];
  const log = createLogger('info', 'worker', new Writable({ write(chunk: Buffer, _e, done) { workerLogs.push(chunk.toString('utf8')); done(); } }));
  const workers = startWorkers(intake.config, sandboxRemoteEnds(sandbox), log);
  const ledger = new DeliveryLedger(intake.redis, intake.prefix);
  const workflow = new WorkflowStore(intake.redis, intake.store);
  let serial = 0;

  const h: NotifyHarness = {
    intake,
    sandbox,
    workers,
    ledger,
    workflow,
    workerLogs,
    async seed(input) {
      serial += 1;
      const id = randomUUID();
      const at = new Date().toISOString();
      const deviceId = input.deviceId ?? FIXTURE_DEVICES.androidFullyManaged;
      const request: ResetRequest = {
        id,
        state: 'received',
        // A device value of this request's own, so device locks never collide between tests.
        device: { kind: 'serialNumber', value: `NOTIFYTEST${String(serial).padStart(4, '0')}${id.slice(0, 6)}` },
        requestedBy: input.requestedBy ?? 'anna@contoso.com',
        ...(input.ticket === undefined ? {} : { ticket: input.ticket }),
        linkedTickets: [],
        source: input.ticket?.system ?? 'api',
        submittedBy: input.ticket === undefined ? 'submitter' : `webhook:${input.ticket.system}`,
        createdAt: at,
        updatedAt: at,
      };
      const reserved = await intake.store.reserve(id, request);
      if (!reserved.ok) throw new Error('the test request could not take its locks');
      await intake.store.commit(request, { at, from: null, to: 'received', actor: 'submitter', reason: 'request accepted' });
      const data: WorkflowData = { managedDeviceId: deviceId, deviceName: 'AE-FULLY-01', operatingSystem: 'Android', osVersion: '14', effect: 'work_profile_passcode_reset', approver: 'mia.manager@contoso.com', ...input.workflow };
      let current: ResetRequest = request;
      for (const to of PATHS[input.state]) {
        const last = to === input.state;
        const moved = await workflow.transition(current, to, { actor: 'worker', reason: last ? (input.reason ?? `moved to ${to}`) : `moved to ${to}` }, data);
        if (!moved) throw new Error(`could not move the test request to ${to}`);
        current = { ...current, state: to };
      }
      return current;
    },
    async announce(request, event, timeoutMs = 20_000) {
      await enqueueEventNotifications(intake.queues, request, event);
      const channels = request.ticket === undefined ? ['email'] : ['ticket', 'email'];
      return Promise.all(channels.map((channel) => h.settled(`${request.id}|${event}|${channel}`, undefined, timeoutMs)));
    },
    async settled(id, states = ['delivered', 'skipped', 'undeliverable'], timeoutMs = 20_000) {
      let record: DeliveryRecord | undefined;
      try {
        await waitFor(async () => {
          record = await ledger.get(id);
          return record !== undefined && states.includes(record.state);
        }, timeoutMs, `notification ${id} to be ${states.join(' or ')}`);
      } catch (err) {
        throw new Error(`${(err as Error).message}; it is ${JSON.stringify(record)}`, { cause: err });
      }
      if (record === undefined) throw new Error('unreachable');
      return record;
    },
    async close() {
      await workers.close();
      await sandbox.close();
      await intake.close();
    },
  };
  return h;
}

/** A new ServiceNow incident of the fixture requester, as the webhook would reference it. */
export function newIncident(h: NotifyHarness): TicketRef {
  const record = h.sandbox.servicenow.control.addIncident({ requester: SN_FIXTURE.users.requester.user_name, u_device_serial: 'R58M123ABC', short_description: 'Phone locked' });
  return { system: 'servicenow', key: record.number ?? '', table: 'incident', sysId: record.sys_id };
}

/** A new requested item of the fixture requester. */
export function newRequestedItem(h: NotifyHarness): TicketRef {
  const record = h.sandbox.servicenow.control.addRequestedItem({ requester: SN_FIXTURE.users.requester.user_name, short_description: 'Reset mobile passcode' });
  return { system: 'servicenow', key: record.number ?? '', table: 'sc_req_item', sysId: record.sys_id };
}

/** A new Jira issue: in HD (a JSM service desk) or OPS (a software project). */
export function newIssue(h: NotifyHarness, project: 'HD' | 'OPS' = 'HD'): TicketRef {
  const issue = h.sandbox.jira.control.addIssue({
    projectKey: project,
    summary: 'Locked out of my work phone',
    reporter: 'anna@contoso.com',
    device: 'R58M123ABC',
    ...(project === 'HD' ? { requestType: { id: '12', name: 'Reset device passcode' } } : {}),
  });
  return { system: 'jira', key: issue.key };
}

/** Every text the product wrote to ServiceNow, Jira and email, for "no passcode or secret anywhere" checks. */
export function everythingWritten(h: NotifyHarness): string {
  return JSON.stringify([h.sandbox.servicenow.control.writes, h.sandbox.jira.control.writes, h.sandbox.smtp?.messages ?? [], h.sandbox.control.sentMail]);
}
