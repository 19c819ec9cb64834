import { z } from 'zod';
import { ADMIN_CENTER_DEVICE_URL, isDeviceLinkTemplate } from '../domain/reasons';
import { NOTIFY_EVENTS } from '../queue/catalog';

/** `ticket`: may cite a ticket in POST /v1/resets (the request is then built from the ticket itself). */
const ROLES = ['submit', 'ticket', 'approve', 'operate', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const ALL_ROLES: readonly Role[] = ROLES;

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });

const list = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );

const secret = z.string().min(16, { error: 'must be at least 16 characters' });

/** The events a notification can announce (src/queue/catalog.ts), as a comma-separated list. */
const NOTIFY_EVENT_NAMES = NOTIFY_EVENTS;
export type NotifyEventName = (typeof NOTIFY_EVENT_NAMES)[number];
const DEFAULT_TICKET_EVENTS: readonly NotifyEventName[] = NOTIFY_EVENT_NAMES.filter((e) => e !== 'accepted');
const DEFAULT_EMAIL_EVENTS: readonly NotifyEventName[] = ['rejected', 'expired', 'ineligible', 'succeeded', 'failed', 'timed_out', 'cancelled'];
/** `none` stands for the empty list (an empty variable means "unset", so the default). */
const noneList = list.transform((v) => (v.length === 1 && v[0]?.toLowerCase() === 'none' ? [] : v));
const notifyEvents = noneList.pipe(z.array(z.enum(NOTIFY_EVENT_NAMES, { error: `each entry is one of ${NOTIFY_EVENT_NAMES.join(', ')}` })));
/** A ServiceNow state value (e.g. 6), or `none` for "leave the state as it is" (read as ''; a default is the output, ''). */
const snState = z
  .string()
  .trim()
  .regex(/^(-?\d{1,4}|none)$/i, { error: 'must be a state value such as 6, or none' })
  .transform((v) => (v.toLowerCase() === 'none' ? '' : v));

const tokenSpec = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, { error: 'name: letters, digits, . _ @ -; up to 64' }),
  roles: z.array(z.enum(ROLES)).min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'sha256: 64 lowercase hex characters' }),
});
export type ApiTokenSpec = z.infer<typeof tokenSpec>;

const apiTokens = z
  .string()
  .transform((raw, ctx) => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON array (see docs/configuration.md)' });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .array(tokenSpec)
      .refine((tokens) => new Set(tokens.map((t) => t.name)).size === tokens.length, { error: 'token names must be unique' }),
  );

/**
 * Every setting, read from the environment (and an optional .env file). Defaults are the embedded, safe ones.
 * docs/configuration.md and .env.example document each variable; a test keeps the three in step.
 */
export const configSchema = z
  .object({
    PORT: int(0, 65535).default(3000),
    HOST: z.string().min(1).default('127.0.0.1'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    PUBLIC_BASE_URL: z.url({ error: 'must be an absolute URL' }).optional(),
    ADMIN_CENTER_DEVICE_URL: z
      .string()
      .refine(isDeviceLinkTemplate, { error: 'must be an https URL containing {id}' })
      .default(ADMIN_CENTER_DEVICE_URL),
    TRUST_PROXY: bool.default(false),

    // The operations dashboard (/ops), bull-board (/admin/queues) and /metrics: docs/operations.md.
    OPS_SESSION_TTL_SECONDS: int(300, 7 * 86_400).default(8 * 3600),
    OPS_COOKIE_SECURE: bool.default(true),
    METRICS_PUBLIC: bool.default(false),

    REDIS_URL: z
      .string()
      // redis-cluster:// and rediss-cluster:// name a Redis Cluster by its seed nodes (src/redis/connection.ts).
      .regex(/^rediss?(-cluster)?:\/\//, { error: 'must start with redis:// or rediss://' })
      .refine((v) => !/^rediss?-cluster:/.test(v) || /^rediss?-cluster:\/\/([^@/\s]*@)?[^,/\s]+:\d{1,5}(,[^,/\s]+:\d{1,5})*\/?$/.test(v), {
        error: 'a Redis Cluster URL lists its nodes: redis-cluster://[user:password@]host:port,host:port,…',
      })
      .default('redis://127.0.0.1:6379'),
    REDIS_PREFIX: z
      .string()
      .regex(/^\{[A-Za-z0-9_.-]{1,32}\}$/, { error: 'must be a Redis Cluster hash tag such as {resetpc}' })
      .default('{resetpc}'),
    REDIS_COMMAND_TIMEOUT_MS: int(100, 60_000).default(2000),

    API_TOKENS: apiTokens.optional(),
    SANDBOX_API_TOKEN: secret.optional(),
    SANDBOX_PORT: int(0, 65535).default(3001),
    SANDBOX_SMTP_PORT: int(0, 65535).default(2525),

    BODY_LIMIT_BYTES: int(1024, 1_048_576).default(16_384),
    WEBHOOK_BODY_LIMIT_BYTES: int(1024, 10_485_760).default(1_048_576),
    // Slow clients (docs/configuration.md "Server"): how long a request, its headers, an idle connection and a kept-alive one may take.
    REQUEST_TIMEOUT_MS: int(1000, 600_000).default(30_000),
    HEADERS_TIMEOUT_MS: int(1000, 600_000).default(10_000),
    CONNECTION_IDLE_TIMEOUT_MS: int(1000, 3_600_000).default(60_000),
    KEEP_ALIVE_TIMEOUT_MS: int(1000, 600_000).default(72_000),
    RATE_LIMIT_MAX: int(1, 1_000_000).default(600),
    RATE_LIMIT_WINDOW_MS: int(1000, 3_600_000).default(60_000),
    IDEMPOTENCY_TTL_SECONDS: int(60, 604_800).default(86_400),
    AUDIT_RETENTION_DAYS: int(1, 3650).default(90),

    AZURE_TENANT_ID: z.string().regex(/^[0-9a-fA-F-]{36}$|^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/, { error: 'must be a tenant id (GUID) or a verified domain' }).optional(),
    AZURE_CLIENT_ID: z.string().regex(/^[0-9a-fA-F-]{36}$/, { error: 'must be the app registration\'s client id (GUID)' }).optional(),
    AZURE_CLIENT_SECRET: z.string().min(1).optional(),
    AZURE_CREDENTIAL_KIND: z.enum(['client_secret', 'certificate', 'workload_identity', 'managed_identity']).default('client_secret'),
    AZURE_CLIENT_CERTIFICATE_PATH: z.string().min(1).optional(),
    AZURE_CLIENT_CERTIFICATE_PASSWORD: z.string().min(1).optional(),
    AZURE_CLIENT_SEND_CERTIFICATE_CHAIN: bool.default(false),
    AZURE_FEDERATED_TOKEN_FILE: z.string().min(1).optional(),
    AZURE_AUTHORITY_HOST: z.url({ protocol: /^https$/, error: 'must be an https URL' }).optional(),
    GRAPH_BASE_URL: z.url({ protocol: /^https$/, error: 'must be an https URL' }).optional(),
    GRAPH_EXTRA_CA_FILE: z.string().min(1).optional(),

    SERVICENOW_INSTANCE_URL: z.url({ error: 'must be an absolute URL' }).optional(),
    SERVICENOW_USERNAME: z.string().min(1).optional(),
    SERVICENOW_PASSWORD: z.string().min(1).optional(),
    JIRA_SITE_URL: z.url({ error: 'must be an absolute URL' }).optional(),
    JIRA_EMAIL: z.email().optional(),
    JIRA_API_TOKEN: z.string().min(1).optional(),
    WORKER_LOCK_MS: int(1000, 600_000).default(30_000),
    WORKER_HEALTH_PORT: int(0, 65535).default(3002),

    APPROVAL_REQUIRED: bool.default(true),
    APPROVAL_ALLOWED_APPROVERS: list.default([]),
    APPROVAL_DEADLINE_HOURS: int(1, 24 * 30).default(72),
    IOS_REMOVE_PASSCODE: bool.default(false),
    MAX_SYNC_AGE_HOURS: int(1, 24 * 365).default(24 * 14),
    ACTION_DEADLINE_MINUTES: int(1, 24 * 60 * 7).default(24 * 60),
    SUBMIT_SETTLE_SECONDS: int(0, 3600).default(60),
    DRY_RUN: bool.default(false),
    ACTION_POLL_BASE_MS: int(10, 600_000).default(5000),
    APPROVAL_RECHECK_MAX_SECONDS: int(1, 86_400).default(900),
    WORKER_CONCURRENCY: int(1, 1000).default(10),
    BLAST_RADIUS_PER_HOUR: int(1, 100_000).default(100),
    GRAPH_WINDOW_MS: int(1000, 600_000).default(20_000),
    GRAPH_WRITE_BUDGET: int(1, 10_000).default(180),
    GRAPH_READ_BUDGET: int(1, 100_000).default(1800),

    JIRA_WEBHOOK_SECRET: secret.optional(),
    JIRA_WEBHOOK_TOLERANCE_SECONDS: int(60, 86_400).default(3600),
    JIRA_WEBHOOK_DEDUPE_TTL_SECONDS: int(60, 604_800).default(7200),
    JIRA_PROJECTS: list.default([]),
    JIRA_ISSUE_TYPES: list.default([]),
    JIRA_REQUEST_TYPES: list.default([]),
    JIRA_REQUEST_TYPE_FIELD: z.string().regex(/^customfield_\d+$/).default('customfield_10010'),
    JIRA_DEVICE_FIELD: z.string().regex(/^(customfield_\d+|summary|description)$/).default('customfield_10050'),
    JIRA_DEVICE_KIND: z.enum(['id', 'azureADDeviceId', 'serialNumber', 'deviceName']).default('serialNumber'),

    SERVICENOW_WEBHOOK_SECRET: secret.optional(),
    SERVICENOW_WEBHOOK_TOLERANCE_SECONDS: int(30, 3600).default(300),
    // Which ServiceNow tickets may become requests, and where an incident names its device (read back from the
    // instance when the API cites a ticket, and checked before any ticket write).
    SERVICENOW_TABLES: list.pipe(z.array(z.enum(['incident', 'sc_req_item'], { error: 'each entry is incident or sc_req_item' })).min(1, { error: 'name at least one table' })).default(['incident', 'sc_req_item']),
    SERVICENOW_DEVICE_FIELD: z.string().regex(/^[a-z][a-z0-9_]{0,79}$/, { error: 'must be a field name such as u_device_serial' }).default('u_device_serial'),
    SERVICENOW_DEVICE_KIND: z.enum(['id', 'azureADDeviceId', 'serialNumber', 'deviceName']).default('serialNumber'),

    // Notifications (docs/notifications.md): which events go where, retries, ticket write-back and email.
    NOTIFY_TICKET_EVENTS: notifyEvents.default([...DEFAULT_TICKET_EVENTS]),
    NOTIFY_EMAIL_EVENTS: notifyEvents.default([...DEFAULT_EMAIL_EVENTS]),
    NOTIFY_CONCURRENCY: int(1, 200).default(5),
    NOTIFY_BACKOFF_BASE_MS: int(10, 3_600_000).default(10_000),
    NOTIFY_BACKOFF_MAX_MS: int(10, 86_400_000).default(1_800_000),
    NOTIFY_EMAIL_TRANSPORT: z.enum(['smtp', 'graph', 'none']).optional(),
    NOTIFY_EMAIL_FROM: z.email().optional(),
    NOTIFY_EMAIL_TO: z
      .string()
      .transform((v) => v.split(',').map((s) => s.trim()).filter((s) => s.length > 0))
      .pipe(z.array(z.enum(['requester', 'operations'], { error: 'each entry is requester or operations' })))
      .default(['requester', 'operations']),
    NOTIFY_EMAIL_OPERATIONS_MAILBOX: z.email().optional(),
    NOTIFY_GRAPH_MAIL_SENDER: z.string().regex(/^[^\s/?#]{1,254}$/, { error: 'must be a user id or UPN' }).optional(),
    SMTP_HOST: z.string().min(1).optional(),
    SMTP_PORT: int(1, 65535).default(587),
    SMTP_SECURE: bool.default(false),
    SMTP_USER: z.string().min(1).optional(),
    SMTP_PASSWORD: z.string().min(1).optional(),
    SMTP_ALLOW_PLAINTEXT_AUTH: bool.default(false),
    SERVICENOW_COMMENT_EVENTS: notifyEvents.default([]),
    SERVICENOW_INCIDENT_SUCCESS_STATE: snState.default('6'),
    SERVICENOW_INCIDENT_SUCCESS_CLOSE_CODE: z.string().max(80).default('Solved Remotely (Permanently)'),
    SERVICENOW_INCIDENT_FAILURE_STATE: snState.default(''),
    SERVICENOW_INCIDENT_FAILURE_CLOSE_CODE: z.string().max(80).default(''),
    SERVICENOW_REQ_ITEM_SUCCESS_STATE: snState.default('3'),
    SERVICENOW_REQ_ITEM_FAILURE_STATE: snState.default(''),
    JIRA_COMMENT_VISIBILITY: z.enum(['internal', 'public']).default('internal'),
    JIRA_SUCCESS_TRANSITIONS: noneList.default(['Resolve', 'Done']),
    JIRA_FAILURE_TRANSITIONS: noneList.default([]),
  })
  .superRefine((c, ctx) => {
    if (c.HEADERS_TIMEOUT_MS > c.REQUEST_TIMEOUT_MS) {
      ctx.addIssue({ code: 'custom', path: ['HEADERS_TIMEOUT_MS'], message: 'must be at most REQUEST_TIMEOUT_MS: the headers are part of the request' });
    }
    if (c.GRAPH_READ_BUDGET <= 2 * c.GRAPH_WRITE_BUDGET) {
      ctx.addIssue({ code: 'custom', path: ['GRAPH_READ_BUDGET'], message: 'must be more than twice GRAPH_WRITE_BUDGET: each write and the read just before it count as requests too, and other reads get the rest' });
    }
    const azure = [c.AZURE_TENANT_ID, c.AZURE_CLIENT_ID].filter((v) => v !== undefined).length;
    if (azure === 1) {
      ctx.addIssue({ code: 'custom', path: [c.AZURE_TENANT_ID === undefined ? 'AZURE_TENANT_ID' : 'AZURE_CLIENT_ID'], message: 'set AZURE_TENANT_ID and AZURE_CLIENT_ID together' });
    }
    if (c.AZURE_CREDENTIAL_KIND === 'certificate' && c.AZURE_CLIENT_CERTIFICATE_PATH === undefined) {
      ctx.addIssue({ code: 'custom', path: ['AZURE_CLIENT_CERTIFICATE_PATH'], message: 'required when AZURE_CREDENTIAL_KIND is certificate: a PEM file with the certificate and its private key' });
    }
    if (c.JIRA_WEBHOOK_SECRET !== undefined && c.JIRA_PROJECTS.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['JIRA_PROJECTS'],
        message: 'required when JIRA_WEBHOOK_SECRET is set: name the projects whose issues may request resets',
      });
    } else if (c.JIRA_SITE_URL !== undefined && c.JIRA_PROJECTS.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['JIRA_PROJECTS'],
        message: 'required when JIRA_SITE_URL is set: name the projects whose issues the product may read and write (it writes to no other)',
      });
    }
    if ((c.NOTIFY_EMAIL_TRANSPORT === 'smtp' || c.NOTIFY_EMAIL_TRANSPORT === 'graph' || (c.NOTIFY_EMAIL_TRANSPORT === undefined && c.SMTP_HOST !== undefined)) && c.NOTIFY_EMAIL_FROM === undefined) {
      ctx.addIssue({ code: 'custom', path: ['NOTIFY_EMAIL_FROM'], message: 'required when email notifications are on (NOTIFY_EMAIL_TRANSPORT or SMTP_HOST)' });
    }
    if (c.NOTIFY_EMAIL_TRANSPORT === 'smtp' && c.SMTP_HOST === undefined) {
      ctx.addIssue({ code: 'custom', path: ['SMTP_HOST'], message: 'required when NOTIFY_EMAIL_TRANSPORT is smtp' });
    }
    if ((c.SMTP_USER === undefined) !== (c.SMTP_PASSWORD === undefined)) {
      ctx.addIssue({ code: 'custom', path: [c.SMTP_USER === undefined ? 'SMTP_USER' : 'SMTP_PASSWORD'], message: 'set SMTP_USER and SMTP_PASSWORD together' });
    }
    if (c.JIRA_WEBHOOK_DEDUPE_TTL_SECONDS <= c.JIRA_WEBHOOK_TOLERANCE_SECONDS) {
      ctx.addIssue({
        code: 'custom',
        path: ['JIRA_WEBHOOK_DEDUPE_TTL_SECONDS'],
        message: 'must be longer than JIRA_WEBHOOK_TOLERANCE_SECONDS, or a replay could outlive its dedupe record',
      });
    }
  });

export type Config = Readonly<z.infer<typeof configSchema>>;

/**
 * Sandbox mode: no Microsoft tenant and no ticketing system is configured, so `npm start` simulates them all.
 * With any real connection configured, no sandbox code runs.
 */
export function isSandboxMode(config: Pick<Config, 'AZURE_TENANT_ID' | 'AZURE_CLIENT_ID'>): boolean {
  return config.AZURE_TENANT_ID === undefined && config.AZURE_CLIENT_ID === undefined;
}

/**
 * What a worker still needs to reach a real tenant, or undefined when it has it: the tenant and client id always, and
 * a client secret only with AZURE_CREDENTIAL_KIND=client_secret (a certificate, workload identity or managed identity
 * needs none).
 */
export function tenantCredentialProblem(
  config: Pick<Config, 'AZURE_TENANT_ID' | 'AZURE_CLIENT_ID' | 'AZURE_CLIENT_SECRET' | 'AZURE_CREDENTIAL_KIND' | 'AZURE_FEDERATED_TOKEN_FILE'>,
): string | undefined {
  const missing = [
    config.AZURE_TENANT_ID === undefined ? 'AZURE_TENANT_ID' : undefined,
    config.AZURE_CLIENT_ID === undefined ? 'AZURE_CLIENT_ID' : undefined,
    config.AZURE_CREDENTIAL_KIND === 'client_secret' && config.AZURE_CLIENT_SECRET === undefined ? 'AZURE_CLIENT_SECRET' : undefined,
    config.AZURE_CREDENTIAL_KIND === 'workload_identity' && config.AZURE_FEDERATED_TOKEN_FILE === undefined ? 'AZURE_FEDERATED_TOKEN_FILE' : undefined,
  ].filter((name) => name !== undefined);
  return missing.length === 0 ? undefined : `${missing.join(', ')}: required to reach the tenant with AZURE_CREDENTIAL_KIND=${config.AZURE_CREDENTIAL_KIND}`;
}
