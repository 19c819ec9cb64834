import { RemoteError } from '../remote/errors';

const SETTINGS = {
  servicenow: { name: 'ServiceNow', vars: 'SERVICENOW_INSTANCE_URL, SERVICENOW_USERNAME, SERVICENOW_PASSWORD' },
  jira: { name: 'Jira', vars: 'JIRA_SITE_URL, JIRA_EMAIL, JIRA_API_TOKEN' },
} as const;

/**
 * A ticket names a system the workers have no account for: no retry can read or write it. Permanent, with the code
 * `not_configured` (`servicenow_not_configured`, `jira_not_configured`); `consequence` says what cannot be done.
 */
export class TicketingNotConfiguredError extends RemoteError {
  override readonly name = 'TicketingNotConfiguredError';
  readonly code = 'not_configured';
  readonly kind = 'permanent';

  constructor(
    readonly system: 'servicenow' | 'jira',
    consequence?: string,
  ) {
    const { name, vars } = SETTINGS[system];
    super(`${name} is not configured (${vars})${consequence === undefined ? '' : `, ${consequence}`}`);
  }
}
