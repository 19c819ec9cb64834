import { startSandbox, type Sandbox } from '@resetpc/sandbox';
import { createLogger } from '../../src/logging/logger';
import type { RequestState } from '../../src/domain/request';
import { startWorkers, type RunningWorkers } from '../../workers/compose';
import { sandboxRemoteEnds, sandboxTicketReader } from '../../src/bin/embedded-sandbox';
import { Writable } from 'node:stream';
import { JIRA_SECRET, SERVICENOW_SECRET, createTestIntake, type TestIntake } from './intake';
import { wakeJob } from '../../src/queue/queues';
import { waitFor } from './env';
import { deferredTicketReader } from '../../src/ticketing/ticket-facts';

export interface WorkflowHarness {
  readonly intake: TestIntake;
  readonly sandbox: Sandbox;
  readonly workers: RunningWorkers;
  readonly workerLogs: string[];
  readonly intakeUrl: string;
  /** Waits until the request reaches `state` (or any final state, then fails with its timeline). */
  until(id: string, state: RequestState, timeoutMs?: number): Promise<void>;
  /**
   * Time travel: sets the request's `field` (its approval deadline, or when it was submitted) far in the past and wakes
   * its job, again every 100 ms until the request reaches `target` (the worker may be saving the workflow meanwhile).
   */
  pastDeadline(id: string, field: 'approvalDeadline' | 'submittedAt', target: RequestState, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const LONG_AGO = '2000-01-01T00:00:00.000Z';

const FAST = {
  ACTION_POLL_BASE_MS: '50',
  APPROVAL_RECHECK_MAX_SECONDS: '1',
  SUBMIT_SETTLE_SECONDS: '0',
  RATE_LIMIT_MAX: '10000',
};

/**
 * The whole product against the sandbox: the real intake (listening on a port, so the sandbox's webhook senders reach
 * it), the real worker with the real Graph and ticketing clients over HTTPS, and a real Redis.
 */
export interface WorkflowHarnessOptions {
  /** Start the sandbox's SMTP catcher, so email notifications are sent (to `sandbox.smtp`); default off. */
  readonly smtp?: boolean;
  /**
   * Ticketing systems the workers have no account for, while the intake has (a split deployment configured unevenly):
   * their requests are accepted, and the worker must end them at once.
   */
  readonly workersWithout?: readonly ('servicenow' | 'jira')[];
}

export async function startWorkflowHarness(label: string, env: Record<string, string> = {}, options: WorkflowHarnessOptions = {}): Promise<WorkflowHarness> {
  // The intake reads cited tickets from the sandbox's ServiceNow and Jira, which start after it (they need its URL).
  const tickets = deferredTicketReader();
  const intake = await createTestIntake(label, { ...FAST, ...env }, undefined, { tickets });
  await intake.app.listen({ port: 0, host: '127.0.0.1' });
  const address = intake.app.server.address();
  const intakeUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  const sandbox = await startSandbox({ smtpPort: options.smtp === true ? 0 : false, webhooks: { intakeBaseUrl: intakeUrl, servicenowSecret: SERVICENOW_SECRET, jiraSecret: JIRA_SECRET } });
  const workerLogs: string[] = [];
  const log = createLogger('info', 'worker', new Writable({ write(chunk: Buffer, _e, done) { workerLogs.push(chunk.toString('utf8')); done(); } }));
  const { servicenow, jira, ...ends } = sandboxRemoteEnds(sandbox);
  const without = new Set(options.workersWithout ?? []);
  const remote = { ...ends, ...(servicenow === undefined || without.has('servicenow') ? {} : { servicenow }), ...(jira === undefined || without.has('jira') ? {} : { jira }) };
  tickets.bind(sandboxTicketReader(intake.config, sandbox));
  const workers = startWorkers(intake.config, remote, log);
  return {
    intake,
    sandbox,
    workers,
    workerLogs,
    intakeUrl,
    async pastDeadline(id, field, target, timeoutMs = 30_000) {
      await waitFor(
        async () => {
          const stored = await intake.store.get(id);
          if (stored === undefined || stored.request.state === target) return stored !== undefined;
          await intake.redis.hset(intake.store.keys.request(id), 'workflow', JSON.stringify({ ...stored.workflow, [field]: LONG_AGO }));
          await wakeJob(intake.queues, id);
          return false;
        },
        timeoutMs,
        `request ${id} to reach ${target}`,
        100,
      );
    },
    async until(id, state, timeoutMs = 15_000) {
      let last: RequestState | undefined;
      try {
        await waitFor(async () => {
          last = (await intake.store.get(id))?.request.state;
          return last === state;
        }, timeoutMs, `request ${id} to reach ${state}`);
      } catch (err) {
        const stored = await intake.store.get(id);
        throw new Error(`${(err as Error).message}; it is ${String(last)}: ${JSON.stringify(stored?.timeline)} ${JSON.stringify(stored?.workflow)}`, { cause: err });
      }
    },
    async close() {
      await workers.close();
      await sandbox.close();
      await intake.close();
    },
  };
}
