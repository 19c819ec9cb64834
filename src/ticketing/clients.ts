/** The ServiceNow and Jira clients from their settings: one construction for the intake and the workers. */
import type { Dispatcher } from 'undici';
import type { TicketingAccountsSection } from '../config/sections';
import { createJiraClient, type JiraClient } from './jira';
import { ServiceNowClient } from './servicenow';

export interface TicketingSettings {
  readonly servicenow?: { readonly instanceUrl: string; readonly username: string; readonly password: string };
  readonly jira?: { readonly siteUrl: string; readonly email: string; readonly apiToken: string };
}

export interface TicketingClients {
  readonly servicenow?: ServiceNowClient;
  readonly jira?: JiraClient;
}

/** `dispatcher`: an undici Agent that trusts an extra CA (the sandbox's), or a proxy. */
export function createTicketingClients(settings: TicketingSettings, dispatcher?: Dispatcher): TicketingClients {
  const withCa = dispatcher === undefined ? {} : { dispatcher };
  const sn = settings.servicenow;
  return {
    ...(sn === undefined ? {} : { servicenow: new ServiceNowClient({ instanceUrl: sn.instanceUrl, auth: { kind: 'basic', username: sn.username, password: sn.password }, ...withCa }) }),
    ...(settings.jira === undefined ? {} : { jira: createJiraClient({ ...settings.jira, ...withCa }) }),
  };
}

/** ServiceNow and Jira as configured (SERVICENOW_INSTANCE_URL…, JIRA_SITE_URL…): each only when all its settings are set. */
export function ticketingSettingsFromConfig(config: TicketingAccountsSection): TicketingSettings {
  const { SERVICENOW_INSTANCE_URL: snUrl, SERVICENOW_USERNAME: snUser, SERVICENOW_PASSWORD: snPassword } = config;
  const { JIRA_SITE_URL: jiraUrl, JIRA_EMAIL: jiraEmail, JIRA_API_TOKEN: jiraToken } = config;
  return {
    ...(snUrl === undefined || snUser === undefined || snPassword === undefined ? {} : { servicenow: { instanceUrl: snUrl, username: snUser, password: snPassword } }),
    ...(jiraUrl === undefined || jiraEmail === undefined || jiraToken === undefined ? {} : { jira: { siteUrl: jiraUrl, email: jiraEmail, apiToken: jiraToken } }),
  };
}
