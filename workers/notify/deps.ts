import type { Log } from '../../src/logging/logger';
import type { MailTransport } from '../../src/notify/email/transport';
import type { DeliveryLedger } from '../../src/notify/ledger';
import type { NotifySettings } from '../../src/notify/settings';
import type { RequestStore } from '../../src/store/requests';
import type { JiraClient } from '../../src/ticketing/jira';
import type { ServiceNowClient } from '../../src/ticketing/servicenow';

/** What the notify worker needs, built by the worker's composition root (workers/compose.ts). */
export interface NotifyDeps {
  readonly requests: RequestStore;
  readonly ledger: DeliveryLedger;
  readonly settings: NotifySettings;
  /** The JSM "Customer Request Type" field, to tell a JSM request from a plain issue. */
  readonly jiraRequestTypeField: string;
  readonly servicenow?: ServiceNowClient;
  readonly jira?: JiraClient;
  /** Undefined: email is off. */
  readonly mail?: MailTransport;
  readonly log: Log;
}
