import type { Log } from '../../src/logging/logger';
import type { MailTransport } from '../../src/notify/email/transport';
import type { DeliveryLedger } from '../../src/notify/ledger';
import type { NotifySettings } from '../../src/notify/settings';
import type { RequestStore } from '../../src/store/requests';
import type { JiraClient } from '../../src/ticketing/jira';
import type { ServiceNowClient } from '../../src/ticketing/servicenow';
import type { TicketScope } from '../../src/ticketing/ticket-facts';

/** What the notify worker needs, built by the worker's composition root (workers/compose.ts). */
export interface NotifyDeps {
  readonly requests: RequestStore;
  readonly ledger: DeliveryLedger;
  readonly settings: NotifySettings;
  /** The JSM "Customer Request Type" field, to tell a JSM request from a plain issue. */
  readonly jiraRequestTypeField: string;
  /** The Jira projects and ServiceNow tables the product serves: no ticket outside them is ever written to. */
  readonly ticketScope: TicketScope;
  readonly servicenow?: ServiceNowClient;
  readonly jira?: JiraClient;
  /** Undefined: email is off. */
  readonly mail?: MailTransport;
  readonly log: Log;
}
