/**
 * The sandbox's HTTP control API for the simulated ServiceNow, Jira and mailbox, under /_sandbox: add tickets and
 * approvals, decide approvals, inject faults and rate limits, simulate an SMTP outage, send the systems' signed
 * webhooks to the intake, and read or clear every write and email received. docs/sandbox.md has curl examples.
 */
import type { FastifyInstance } from 'fastify';
import { registerJiraControlApi } from './control-api-jira';
import { registerMailControlApi } from './control-api-mail';
import { registerServiceNowControlApi } from './control-api-servicenow';
import type { JiraSim } from './jira';
import type { ServiceNowSim } from './servicenow';
import type { SmtpCatcher } from './smtp';

/** Where the simulated systems deliver their webhooks: the intake, when the sandbox runs embedded. */
export interface WebhookTargets {
  readonly intakeBaseUrl: string;
  readonly servicenowSecret?: string;
  readonly jiraSecret?: string;
}

export function registerTicketingControlApi(
  app: FastifyInstance,
  deps: { servicenow: ServiceNowSim; jira: JiraSim; smtp?: SmtpCatcher; webhooks?: WebhookTargets },
): void {
  const { webhooks } = deps;
  const target = (secret: string | undefined) => (webhooks === undefined ? {} : { webhooks: { intakeBaseUrl: webhooks.intakeBaseUrl, ...(secret === undefined ? {} : { secret }) } });
  registerServiceNowControlApi(app, { servicenow: deps.servicenow, ...target(webhooks?.servicenowSecret) });
  registerJiraControlApi(app, { jira: deps.jira, ...target(webhooks?.jiraSecret) });
  registerMailControlApi(app, deps.smtp === undefined ? {} : { smtp: deps.smtp });
}
