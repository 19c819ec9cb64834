/**
 * The sections of the configuration: the settings each module reads, named once. A module takes its section, not
 * the whole `Config`, so its signature says what it depends on, and a test passes only that. The composition roots
 * (src/bin/start.ts, src/bin/intake.ts, src/bin/doctor.ts, workers/main.ts) load the whole Config and hand it on: a
 * Config is every section at once. The variables are documented in docs/configuration.md.
 */
import type { Config } from './schema';

/** Redis: the server every connection goes to, the key prefix (a Cluster hash tag), the producer's command timeout. */
export type RedisSection = Pick<Config, 'REDIS_URL' | 'REDIS_PREFIX' | 'REDIS_COMMAND_TIMEOUT_MS'>;

/** Where the intake listens (and, without PUBLIC_BASE_URL, the dashboard's address in notifications). */
export type ListenSection = Pick<Config, 'HOST' | 'PORT'>;

/** Microsoft Entra ID and Graph: the tenant, the app and its credential, the cloud, an extra CA to trust. */
export type GraphSection = Pick<
  Config,
  | 'AZURE_TENANT_ID'
  | 'AZURE_CLIENT_ID'
  | 'AZURE_CLIENT_SECRET'
  | 'AZURE_CREDENTIAL_KIND'
  | 'AZURE_CLIENT_CERTIFICATE_PATH'
  | 'AZURE_CLIENT_CERTIFICATE_PASSWORD'
  | 'AZURE_CLIENT_SEND_CERTIFICATE_CHAIN'
  | 'AZURE_FEDERATED_TOKEN_FILE'
  | 'AZURE_AUTHORITY_HOST'
  | 'GRAPH_BASE_URL'
  | 'GRAPH_EXTRA_CA_FILE'
>;

/** The Graph request budget every worker shares (src/graph/budget.ts), also shown on the dashboard. */
export type GraphBudgetSection = Pick<Config, 'GRAPH_WINDOW_MS' | 'GRAPH_WRITE_BUDGET' | 'GRAPH_READ_BUDGET'>;

/** The ServiceNow and Jira REST accounts (approvals read, tickets read and written). */
export type TicketingAccountsSection = Pick<Config, 'SERVICENOW_INSTANCE_URL' | 'SERVICENOW_USERNAME' | 'SERVICENOW_PASSWORD' | 'JIRA_SITE_URL' | 'JIRA_EMAIL' | 'JIRA_API_TOKEN'>;

/** Which tickets may become requests, and where a ticket names its device (src/ticketing/ticket-facts.ts). */
export type TicketScopeSection = Pick<
  Config,
  | 'JIRA_PROJECTS'
  | 'JIRA_ISSUE_TYPES'
  | 'JIRA_REQUEST_TYPES'
  | 'JIRA_REQUEST_TYPE_FIELD'
  | 'JIRA_DEVICE_FIELD'
  | 'JIRA_DEVICE_KIND'
  | 'SERVICENOW_TABLES'
  | 'SERVICENOW_DEVICE_FIELD'
  | 'SERVICENOW_DEVICE_KIND'
>;

/** The SMTP server email notifications go through, when they go over SMTP. */
export type SmtpSection = Pick<Config, 'SMTP_HOST' | 'SMTP_PORT' | 'SMTP_SECURE' | 'SMTP_USER' | 'SMTP_PASSWORD' | 'SMTP_ALLOW_PLAINTEXT_AUTH'>;

/**
 * Notifications (docs/notifications.md): which events go where, the ticket write-back, email, retries, and the links
 * a message carries (the admin center, the dashboard).
 */
export type NotifySection = ListenSection &
  Pick<
    Config,
    | 'PUBLIC_BASE_URL'
    | 'ADMIN_CENTER_DEVICE_URL'
    | 'NOTIFY_TICKET_EVENTS'
    | 'NOTIFY_EMAIL_EVENTS'
    | 'NOTIFY_BACKOFF_BASE_MS'
    | 'NOTIFY_BACKOFF_MAX_MS'
    | 'NOTIFY_EMAIL_TRANSPORT'
    | 'NOTIFY_EMAIL_FROM'
    | 'NOTIFY_EMAIL_TO'
    | 'NOTIFY_EMAIL_OPERATIONS_MAILBOX'
    | 'NOTIFY_GRAPH_MAIL_SENDER'
    | 'SERVICENOW_COMMENT_EVENTS'
    | 'SERVICENOW_INCIDENT_SUCCESS_STATE'
    | 'SERVICENOW_INCIDENT_SUCCESS_CLOSE_CODE'
    | 'SERVICENOW_INCIDENT_FAILURE_STATE'
    | 'SERVICENOW_INCIDENT_FAILURE_CLOSE_CODE'
    | 'SERVICENOW_REQ_ITEM_SUCCESS_STATE'
    | 'SERVICENOW_REQ_ITEM_FAILURE_STATE'
    | 'JIRA_COMMENT_VISIBILITY'
    | 'JIRA_SUCCESS_TRANSITIONS'
    | 'JIRA_FAILURE_TRANSITIONS'
  >;

/** The reset step machine's policy: approval, eligibility, deadlines, polling, dry run. */
export type ResetPolicySection = Pick<
  Config,
  | 'APPROVAL_REQUIRED'
  | 'APPROVAL_ALLOWED_APPROVERS'
  | 'APPROVAL_DEADLINE_HOURS'
  | 'APPROVAL_RECHECK_MAX_SECONDS'
  | 'MAX_SYNC_AGE_HOURS'
  | 'IOS_REMOVE_PASSCODE'
  | 'ACTION_DEADLINE_MINUTES'
  | 'ACTION_POLL_BASE_MS'
  | 'SUBMIT_SETTLE_SECONDS'
  | 'DRY_RUN'
>;

/** The worker processes: how many jobs at once, how long a job's lock lasts, the blast radius, audit retention. */
export type WorkersSection = Pick<Config, 'WORKER_CONCURRENCY' | 'NOTIFY_CONCURRENCY' | 'WORKER_LOCK_MS' | 'BLAST_RADIUS_PER_HOUR' | 'AUDIT_RETENTION_DAYS'>;
