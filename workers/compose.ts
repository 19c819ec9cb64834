/**
 * The worker's composition root, shared by the worker process (workers/main.ts) and the all-in-one `npm start`:
 * builds the Graph gateway, the ticketing clients and the stores from configuration, and starts the `reset` worker.
 */
import type { Worker } from 'bullmq';
import { readFileSync } from 'node:fs';
import { Agent } from 'undici';
import { isSandboxMode } from '../src/config/schema';
import type {
  GraphBudgetSection,
  GraphSection,
  NotifySection,
  RedisSection,
  ResetPolicySection,
  SmtpSection,
  TicketingAccountsSection,
  TicketScopeSection,
  WorkersSection,
} from '../src/config/sections';
import { GraphBudget } from '../src/graph/budget';
import { createGraphClient } from '../src/graph/client';
import { createGraphCredential, credentialSettingsFromConfig } from '../src/graph/credential';
import { createIntuneGateway } from '../src/graph/gateway';
import type { Log } from '../src/logging/logger';
import { createQueues, type NotifyChannel, type Queues } from '../src/queue/queues';
import { createRedis, waitForReady } from '../src/redis/connection';
import { RequestStore } from '../src/store/requests';
import { TenantControlStore } from '../src/store/tenant-controls';
import { WorkflowStore } from '../src/store/workflow-store';
import { createTicketingClients, ticketingSettingsFromConfig, type TicketingSettings } from '../src/ticketing/clients';
import { createApprovalSource } from './reset/approvals';
import { createTicketReader, ticketScopeOf } from '../src/ticketing/ticket-facts';
import { createMetricsRecorder } from '../src/metrics/recorder';
import { createTenantDirectory } from '../src/metrics/tenants';
import { createGraphMailTransport } from '../src/notify/email/graph';
import { createSmtpTransport, type SmtpSettings } from '../src/notify/email/smtp';
import type { MailTransport } from '../src/notify/email/transport';
import { DeliveryLedger } from '../src/notify/ledger';
import { emailTransportOf, notifySettings, type NotifyEvent } from '../src/notify/settings';
import { createNotifyWorker } from './notify/worker';
import type { ResetDeps, ResetSettings } from './reset/deps';
import { createResetWorker } from './reset/worker';
import { startJoblessSweep } from './reset/jobless';

/** Where the remote ends are: a real tenant and ticketing systems, or the sandbox (with its CA). */
export interface RemoteEnds extends TicketingSettings {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly authorityHost?: string;
  readonly graphBaseUrl?: string;
  /** The sandbox CA, trusted in addition to the system roots. Never set for a real tenant. */
  readonly extraCaPem?: string;
  /** The SMTP server for email notifications (SMTP_*; in sandbox mode, the SMTP catcher). */
  readonly smtp?: SmtpSettings;
  /** The sender when NOTIFY_EMAIL_FROM is unset (sandbox mode only). */
  readonly mailFrom?: string;
}

/** What the remote ends are read from: the tenant's cloud, the ticketing accounts, the SMTP server. */
export type RemoteEndsConfig = Pick<GraphSection, 'AZURE_AUTHORITY_HOST' | 'GRAPH_BASE_URL' | 'GRAPH_EXTRA_CA_FILE'> & TicketingAccountsSection & SmtpSection;

/** The remote ends from configuration: a real tenant (any cloud) and, when configured, ServiceNow and Jira. */
export function remoteEndsFromConfig(config: RemoteEndsConfig, tenantId: string, clientId: string, clientSecret: string): RemoteEnds {
  return {
    tenantId,
    clientId,
    clientSecret,
    ...(config.AZURE_AUTHORITY_HOST === undefined ? {} : { authorityHost: config.AZURE_AUTHORITY_HOST }),
    ...(config.GRAPH_BASE_URL === undefined ? {} : { graphBaseUrl: config.GRAPH_BASE_URL }),
    ...(config.GRAPH_EXTRA_CA_FILE === undefined ? {} : { extraCaPem: readFileSync(config.GRAPH_EXTRA_CA_FILE, 'utf8') }),
    ...ticketingSettingsFromConfig(config),
    ...(config.SMTP_HOST === undefined
      ? {}
      : {
          smtp: {
            host: config.SMTP_HOST,
            port: config.SMTP_PORT,
            secure: config.SMTP_SECURE,
            ...(config.SMTP_USER === undefined || config.SMTP_PASSWORD === undefined ? {} : { auth: { user: config.SMTP_USER, password: config.SMTP_PASSWORD } }),
            allowPlaintextAuth: config.SMTP_ALLOW_PLAINTEXT_AUTH,
          },
        }),
  };
}

export function resetSettings(config: ResetPolicySection): ResetSettings {
  return {
    approvalRequired: config.APPROVAL_REQUIRED,
    allowedApprovers: config.APPROVAL_ALLOWED_APPROVERS,
    approvalDeadlineMs: config.APPROVAL_DEADLINE_HOURS * 3_600_000,
    maxSyncAgeHours: config.MAX_SYNC_AGE_HOURS,
    iosRemovePasscode: config.IOS_REMOVE_PASSCODE,
    actionDeadlineMs: config.ACTION_DEADLINE_MINUTES * 60_000,
    submitSettleMs: config.SUBMIT_SETTLE_SECONDS * 1000,
    dryRun: config.DRY_RUN,
    pollBaseMs: config.ACTION_POLL_BASE_MS,
    approvalRecheckMaxMs: config.APPROVAL_RECHECK_MAX_SECONDS * 1000,
  };
}

export interface RunningWorkers {
  readonly reset: Worker;
  /** The notify worker: the outbox's consumer (ticket write-back and email). */
  readonly notify: Worker;
  readonly queues: Queues;
  /** Resolves when the worker's Redis answers. */
  ping(): Promise<void>;
  /** Resolves once the worker's Redis connection is ready (rejects after `timeoutMs`). */
  whenReady(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** The sections of the configuration the workers read (the remote ends come separately: a real tenant's or the sandbox's). */
export type WorkerConfig = RedisSection & GraphSection & GraphBudgetSection & TicketScopeSection & NotifySection & ResetPolicySection & WorkersSection;

export function startWorkers(config: WorkerConfig, remote: RemoteEnds, log: Log, redisUrl = config.REDIS_URL): RunningWorkers {
  const producer = createRedis(redisUrl, 'producer', { commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS, name: 'resetpc-worker-store' });
  const blocking = createRedis(redisUrl, 'worker', { name: 'resetpc-worker' });
  // The queues have a connection of their own: BullMQ defines its 64 scripts on the connection a Queue uses, and
  // ioredis copies every defined script onto each pipeline it builds (every auto-pipelined batch of the store).
  const queueConnection = createRedis(redisUrl, 'producer', { commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS, name: 'resetpc-worker-queues' });
  const queues = createQueues(queueConnection, config.REDIS_PREFIX);
  const dispatcher = remote.extraCaPem === undefined ? undefined : new Agent({ connect: { ca: remote.extraCaPem } });
  // AZURE_CREDENTIAL_KIND picks the credential; the sandbox always takes its client secret.
  const credential = createGraphCredential(
    credentialSettingsFromConfig(isSandboxMode(config) ? { ...config, AZURE_CREDENTIAL_KIND: 'client_secret' } : config, {
      tenantId: remote.tenantId,
      clientId: remote.clientId,
      clientSecret: remote.clientSecret,
      ...(remote.authorityHost === undefined ? {} : { authorityHost: remote.authorityHost, disableInstanceDiscovery: true }),
      ...(remote.extraCaPem === undefined ? {} : { extraCaPem: remote.extraCaPem }),
    }),
  );
  const graph = createGraphClient({
    credential,
    ...(remote.graphBaseUrl === undefined ? {} : { baseUrl: remote.graphBaseUrl }),
    ...(remote.extraCaPem === undefined ? {} : { extraCaPem: remote.extraCaPem }),
  });
  const budget = new GraphBudget(producer, config.REDIS_PREFIX, { windowMs: config.GRAPH_WINDOW_MS, writes: config.GRAPH_WRITE_BUDGET, reads: config.GRAPH_READ_BUDGET });
  // Graph calls, 429s, budget waits and notification failures, counted here and added to Redis every second (GET /metrics).
  const metrics = createMetricsRecorder(producer, config.REDIS_PREFIX, (err) => {
    log.warn({ err: err instanceof Error ? { message: err.message } : String(err) }, 'metrics not recorded');
  });
  const gateway = createIntuneGateway({ client: graph, budget, tenantId: remote.tenantId, redis: producer, prefix: config.REDIS_PREFIX, metrics });
  // The dashboard and /metrics list the tenants the workers serve (src/metrics/tenants.ts): announced on every
  // (re)connection, as the producer connection refuses commands until it is ready. Best effort.
  const tenants = createTenantDirectory(producer, config.REDIS_PREFIX, []);
  const announceTenant = (): void => {
    tenants.remember(remote.tenantId).catch(() => undefined);
  };
  producer.on('ready', announceTenant);
  if (producer.status === 'ready') announceTenant();
  const { servicenow, jira } = createTicketingClients(remote, dispatcher);
  const ticketScope = ticketScopeOf(config);
  const tickets = createTicketReader({ scope: ticketScope, ...(servicenow === undefined ? {} : { servicenow }), ...(jira === undefined ? {} : { jira }) });
  const requests = new RequestStore(producer, config.REDIS_PREFIX, config.AUDIT_RETENTION_DAYS);
  const store = new WorkflowStore(producer, requests);
  const emailKind = emailTransportOf(config, remote.smtp !== undefined);
  const mail: MailTransport | undefined =
    emailKind === 'smtp' && remote.smtp !== undefined
      ? createSmtpTransport(remote.smtp)
      : emailKind === 'graph'
        ? createGraphMailTransport({ client: graph.client, sender: config.NOTIFY_GRAPH_MAIL_SENDER ?? config.NOTIFY_EMAIL_FROM ?? remote.mailFrom ?? '' })
        : undefined;
  const notices = notifySettings(config, { emailOn: mail !== undefined, ...(remote.mailFrom === undefined ? {} : { defaultFrom: remote.mailFrom }) });
  // Only channels that are on for an event get a job: no email jobs when email is off.
  const notifyChannels = (event: NotifyEvent): NotifyChannel[] => [
    ...(notices.ticketEvents.includes(event) ? (['ticket'] as const) : []),
    ...(notices.email !== undefined && notices.emailEvents.includes(event) ? (['email'] as const) : []),
  ];
  const resetDeps: ResetDeps = {
    store,
    gateway,
    tenantControls: new TenantControlStore(producer, config.REDIS_PREFIX, config.BLAST_RADIUS_PER_HOUR),
    approvals: createApprovalSource({ ...(servicenow === undefined ? {} : { servicenow }), ...(jira === undefined ? {} : { jira }), tickets }),
    queues,
    settings: resetSettings(config),
    log,
    now: () => new Date(),
    notifyChannels,
  };
  const reset = createResetWorker(
    resetDeps,
    { connection: blocking, prefix: config.REDIS_PREFIX, concurrency: config.WORKER_CONCURRENCY, lockDuration: config.WORKER_LOCK_MS },
  );
  const notify = createNotifyWorker(
    {
      requests,
      ledger: new DeliveryLedger(producer, config.REDIS_PREFIX),
      settings: notices,
      jiraRequestTypeField: config.JIRA_REQUEST_TYPE_FIELD,
      ticketScope,
      ...(servicenow === undefined ? {} : { servicenow }),
      ...(jira === undefined ? {} : { jira }),
      ...(mail === undefined ? {} : { mail }),
      log,
    },
    { connection: blocking, prefix: config.REDIS_PREFIX, concurrency: config.NOTIFY_CONCURRENCY, lockDuration: config.WORKER_LOCK_MS, metrics },
  );
  // An active request without a live job would wait forever: each worker process looks for them and ends them failed.
  const jobless = startJoblessSweep(resetDeps, { redis: producer, keys: requests.keys });
  return {
    reset,
    notify,
    queues,
    ping: async () => {
      await producer.ping();
    },
    whenReady: async (timeoutMs) => {
      await waitForReady(producer, timeoutMs);
    },
    close: async () => {
      // Work in hand finishes (or its lock lapses and another worker takes it over); then connections close.
      await jobless.stop();
      await Promise.all([reset.close(), notify.close()]);
      await metrics.close();
      await mail?.close();
      await queues.close();
      await graph.close();
      await dispatcher?.close();
      await Promise.all([producer.quit().catch(() => undefined), queueConnection.quit().catch(() => undefined), blocking.quit().catch(() => undefined)]);
    },
  };
}
