/**
 * The notification settings, read once from configuration (docs/configuration.md, "Notifications"). Plain data: the
 * notify worker and the facts builder take them as a parameter.
 */
import type { NotifyEventName } from '../config/schema';
import type { NotifySection } from '../config/sections';

export type NotifyEvent = NotifyEventName;
export type NotifyChannel = 'ticket' | 'email';

export interface ServiceNowWriteBack {
  /** Events that also get a customer-visible `comments` entry (every event gets a `work_notes` entry). */
  readonly commentEvents: readonly NotifyEvent[];
  /** State changes on a final outcome, per table; '' leaves the state alone. */
  readonly incident: { readonly success: { readonly state: string; readonly closeCode: string }; readonly failure: { readonly state: string; readonly closeCode: string } };
  readonly reqItem: { readonly success: { readonly state: string }; readonly failure: { readonly state: string } };
}

export interface JiraWriteBack {
  /** On Jira Service Management requests: an internal note or a public comment. */
  readonly visibility: 'internal' | 'public';
  /** Transition names (or target statuses) tried in order; the first one the issue offers is made. */
  readonly successTransitions: readonly string[];
  readonly failureTransitions: readonly string[];
}

export interface EmailSettings {
  readonly from: string;
  readonly to: readonly ('requester' | 'operations')[];
  readonly operationsMailbox?: string;
}

export interface LinkSettings {
  /** The Intune admin center's device page, `{id}` standing for the managed device id. */
  readonly adminCenterDeviceUrl: string;
  /** Where the operations dashboard is served: `${dashboardBaseUrl}/ops/requests/{id}`. */
  readonly dashboardBaseUrl: string;
}

export interface NotifySettings {
  readonly ticketEvents: readonly NotifyEvent[];
  readonly emailEvents: readonly NotifyEvent[];
  readonly links: LinkSettings;
  readonly servicenow: ServiceNowWriteBack;
  readonly jira: JiraWriteBack;
  /** Undefined: email is off. */
  readonly email?: EmailSettings;
  readonly backoff: { readonly baseMs: number; readonly maxMs: number };
}

/** The dashboard's base URL: PUBLIC_BASE_URL, else the intake's own address. */
export function dashboardBaseUrl(config: Pick<NotifySection, 'PUBLIC_BASE_URL' | 'HOST' | 'PORT'>): string {
  const base = config.PUBLIC_BASE_URL ?? `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${config.PORT}`;
  return base.replace(/\/+$/, '');
}

/** Which mail transport configuration asks for: explicit, else SMTP when a server is known, else none. */
export function emailTransportOf(config: Pick<NotifySection, 'NOTIFY_EMAIL_TRANSPORT'>, smtpKnown: boolean): 'smtp' | 'graph' | 'none' {
  return config.NOTIFY_EMAIL_TRANSPORT ?? (smtpKnown ? 'smtp' : 'none');
}

export function notifySettings(config: NotifySection, options: { readonly emailOn: boolean; readonly defaultFrom?: string }): NotifySettings {
  const from = config.NOTIFY_EMAIL_FROM ?? options.defaultFrom;
  return {
    ticketEvents: config.NOTIFY_TICKET_EVENTS,
    emailEvents: config.NOTIFY_EMAIL_EVENTS,
    links: { adminCenterDeviceUrl: config.ADMIN_CENTER_DEVICE_URL, dashboardBaseUrl: dashboardBaseUrl(config) },
    servicenow: {
      commentEvents: config.SERVICENOW_COMMENT_EVENTS,
      incident: {
        success: { state: config.SERVICENOW_INCIDENT_SUCCESS_STATE, closeCode: config.SERVICENOW_INCIDENT_SUCCESS_CLOSE_CODE },
        failure: { state: config.SERVICENOW_INCIDENT_FAILURE_STATE, closeCode: config.SERVICENOW_INCIDENT_FAILURE_CLOSE_CODE },
      },
      reqItem: { success: { state: config.SERVICENOW_REQ_ITEM_SUCCESS_STATE }, failure: { state: config.SERVICENOW_REQ_ITEM_FAILURE_STATE } },
    },
    jira: { visibility: config.JIRA_COMMENT_VISIBILITY, successTransitions: config.JIRA_SUCCESS_TRANSITIONS, failureTransitions: config.JIRA_FAILURE_TRANSITIONS },
    ...(options.emailOn && from !== undefined
      ? { email: { from, to: config.NOTIFY_EMAIL_TO, ...(config.NOTIFY_EMAIL_OPERATIONS_MAILBOX === undefined ? {} : { operationsMailbox: config.NOTIFY_EMAIL_OPERATIONS_MAILBOX }) } }
      : {}),
    backoff: { baseMs: config.NOTIFY_BACKOFF_BASE_MS, maxMs: config.NOTIFY_BACKOFF_MAX_MS },
  };
}
