/**
 * The doctor's ServiceNow and Jira checks: a harmless read with the configured credentials, through the product's
 * own clients (so the same URL rules, TLS trust and error mapping apply), and never a write.
 * - ServiceNow: a lookup by number on `incident` and on `sysapproval_approver` (the two tables the worker reads).
 * - Jira: a read of an issue that does not exist (404 = signed in; 401 = credentials refused), and, when asked,
 *   the transitions available on a real issue, against JIRA_SUCCESS_TRANSITIONS and JIRA_FAILURE_TRANSITIONS.
 */
import { pickTransition } from '../notify/channels/jira';
import type { Dispatcher } from 'undici';
import type { NotifySection, TicketingAccountsSection } from '../config/sections';
import { createJiraClient, JiraError, JiraNotFoundError } from '../ticketing/jira';
import { ServiceNowClient, ServiceNowError } from '../ticketing/servicenow';
import { fail, ok, skip, type CheckResult } from './report';

export interface TicketingDoctorOptions {
  readonly dispatcher?: Dispatcher;
  /** An open Jira issue: its available transitions are compared with JIRA_SUCCESS_TRANSITIONS and JIRA_FAILURE_TRANSITIONS. */
  readonly jiraIssue?: string;
  readonly timeoutMs?: number;
}

/** A made-up ticket number and sys_id: the reads find nothing and touch nothing. */
const NO_SUCH_NUMBER = 'INC0000000';
const NO_SUCH_SYS_ID = '0'.repeat(32);
const NO_SUCH_ISSUE = 'RESETPCDOC-1';

function missingOf(vars: Readonly<Record<string, string | undefined>>): string[] {
  return Object.entries(vars)
    .filter(([, v]) => v === undefined)
    .map(([k]) => k);
}

function serviceNowProblem(e: unknown): { detail: string; fix: string } {
  if (!(e instanceof ServiceNowError)) return { detail: `unexpected error (${e instanceof Error ? e.name : 'unknown'})`, fix: 'Check SERVICENOW_INSTANCE_URL.' };
  switch (e.code) {
    case 'unauthorized':
      return { detail: 'ServiceNow refused the credentials (401)', fix: 'Check SERVICENOW_USERNAME and SERVICENOW_PASSWORD; the integration user must be active, not locked out, and allowed to use the REST API ("Web service access only" is fine).' };
    case 'forbidden':
      return { detail: `ServiceNow refused the read (403): ${e.message}`, fix: 'Give the integration user read access to incident, sc_req_item and sysapproval_approver (e.g. the itil role, or ACLs for these tables).' };
    case 'not_found':
      return { detail: `ServiceNow answered 404: ${e.message}`, fix: 'SERVICENOW_INSTANCE_URL must be the instance root, e.g. https://contoso.service-now.com.' };
    default:
      return { detail: `ServiceNow could not be reached or failed (${e.code}): ${e.message}`, fix: 'Check SERVICENOW_INSTANCE_URL, that the instance is up (not hibernating), and the network path (proxy, firewall, GRAPH_EXTRA_CA_FILE for a TLS-inspecting proxy).' };
  }
}

export async function checkServiceNow(config: TicketingAccountsSection, options: TicketingDoctorOptions = {}): Promise<CheckResult> {
  const id = 'servicenow';
  const title = 'ServiceNow';
  const vars = { SERVICENOW_INSTANCE_URL: config.SERVICENOW_INSTANCE_URL, SERVICENOW_USERNAME: config.SERVICENOW_USERNAME, SERVICENOW_PASSWORD: config.SERVICENOW_PASSWORD };
  const missing = missingOf(vars);
  if (missing.length === 3) return skip(id, title, 'not configured (SERVICENOW_INSTANCE_URL unset): ServiceNow approvals are not read');
  if (missing.length > 0) return fail(id, title, `partly configured: ${missing.join(', ')} unset`, 'Set SERVICENOW_INSTANCE_URL, SERVICENOW_USERNAME and SERVICENOW_PASSWORD together (docs/configuration.md).');
  let client: ServiceNowClient;
  try {
    client = new ServiceNowClient({
      instanceUrl: config.SERVICENOW_INSTANCE_URL ?? '',
      auth: { kind: 'basic', username: config.SERVICENOW_USERNAME ?? '', password: config.SERVICENOW_PASSWORD ?? '' },
      timeoutMs: options.timeoutMs ?? 15_000,
      ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
    });
  } catch (e) {
    return fail(id, title, `the settings are not usable: ${e instanceof Error ? e.message : 'invalid'}`, 'Fix SERVICENOW_INSTANCE_URL (https) and SERVICENOW_USERNAME (docs/configuration.md).');
  }
  try {
    await client.findByNumber('incident', NO_SUCH_NUMBER);
    await client.getApprovals(NO_SUCH_SYS_ID);
  } catch (e) {
    const { detail, fix } = serviceNowProblem(e);
    return fail(id, title, detail, fix);
  }
  return ok(id, title, `signed in to ${client.instanceUrl} as ${config.SERVICENOW_USERNAME ?? ''}; incident and sysapproval_approver are readable`);
}

function jiraProblem(e: unknown): { detail: string; fix: string } {
  if (!(e instanceof JiraError)) return { detail: `unexpected error (${e instanceof Error ? e.name : 'unknown'})`, fix: 'Check JIRA_SITE_URL.' };
  switch (e.code) {
    case 'unauthorized':
      return { detail: 'Jira refused the credentials (401)', fix: 'JIRA_EMAIL must be the integration account\'s email and JIRA_API_TOKEN a current API token of that account (id.atlassian.com → Security → API tokens; they expire within a year).' };
    case 'forbidden':
      return { detail: `Jira refused the read (403): ${e.message}`, fix: 'Give the integration account Browse Projects (and, for approvals, service desk agent) permission in the projects of JIRA_PROJECTS.' };
    default:
      return { detail: `Jira could not be reached or failed (${e.code}): ${e.message}`, fix: 'Check JIRA_SITE_URL (https://<site>.atlassian.net) and the network path to it.' };
  }
}

/** What the Jira check reads: the account, and the transitions the write-back takes. */
export type JiraDoctorConfig = TicketingAccountsSection & Pick<NotifySection, 'JIRA_SUCCESS_TRANSITIONS' | 'JIRA_FAILURE_TRANSITIONS'>;

export async function checkJira(config: JiraDoctorConfig, options: TicketingDoctorOptions = {}): Promise<CheckResult[]> {
  const id = 'jira';
  const title = 'Jira';
  const vars = { JIRA_SITE_URL: config.JIRA_SITE_URL, JIRA_EMAIL: config.JIRA_EMAIL, JIRA_API_TOKEN: config.JIRA_API_TOKEN };
  const missing = missingOf(vars);
  if (missing.length === 3) return [skip(id, title, 'not configured (JIRA_SITE_URL unset): Jira approvals are not read')];
  if (missing.length > 0) return [fail(id, title, `partly configured: ${missing.join(', ')} unset`, 'Set JIRA_SITE_URL, JIRA_EMAIL and JIRA_API_TOKEN together (docs/configuration.md).')];
  let client: ReturnType<typeof createJiraClient>;
  try {
    client = createJiraClient({
      siteUrl: config.JIRA_SITE_URL ?? '',
      email: config.JIRA_EMAIL ?? '',
      apiToken: config.JIRA_API_TOKEN ?? '',
      timeoutMs: options.timeoutMs ?? 15_000,
      ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
    });
  } catch (e) {
    return [fail(id, title, `the settings are not usable: ${e instanceof Error ? e.message : 'invalid'}`, 'Fix JIRA_SITE_URL (https, no path other than the site) in docs/configuration.md.')];
  }
  try {
    await client.getIssue(NO_SUCH_ISSUE, { fields: ['summary'] });
  } catch (e) {
    if (!(e instanceof JiraNotFoundError)) {
      const { detail, fix } = jiraProblem(e);
      return [fail(id, title, detail, fix)];
    }
  }
  const results = [ok(id, title, `signed in to ${client.siteUrl} as ${config.JIRA_EMAIL ?? ''}`)];
  const lists = { JIRA_SUCCESS_TRANSITIONS: config.JIRA_SUCCESS_TRANSITIONS, JIRA_FAILURE_TRANSITIONS: config.JIRA_FAILURE_TRANSITIONS };
  if (options.jiraIssue !== undefined) results.push(await checkJiraTransitions(client, options.jiraIssue, lists));
  else if (Object.values(lists).some((names) => names.length > 0)) {
    results.push(skip('jira.transitions', 'Jira transitions', 'not checked: transitions depend on an issue\'s status; run with --jira-issue KEY (an open reset request) to check JIRA_SUCCESS_TRANSITIONS and JIRA_FAILURE_TRANSITIONS'));
  }
  return results;
}

async function checkJiraTransitions(client: ReturnType<typeof createJiraClient>, issue: string, lists: Readonly<Record<string, readonly string[]>>): Promise<CheckResult> {
  const id = 'jira.transitions';
  const title = `Jira transitions on ${issue}`;
  try {
    const transitions = await client.getTransitions(issue);
    const available = transitions.map((t) => (t.to === undefined ? t.name : `${t.name} (→ ${t.to})`));
    const list = available.length === 0 ? '(none)' : available.join(', ');
    // The same choice as the notifier's: a transition's name, else the one transition leading to a status of that name.
    const unusable = Object.entries(lists).filter(([, names]) => names.length > 0 && pickTransition(transitions, names) === undefined);
    if (unusable.length > 0) {
      return fail(
        id,
        title,
        `${unusable.map(([variable, names]) => `none of ${variable} (${names.join(', ')})`).join('; ')} is available from this issue's status; available: ${list}`,
        'Set the variable to transition names of the issue\'s workflow (names, not ids; they differ per workflow), check from an issue in the status a reset request is in, and check that the account may transition issues.',
      );
    }
    return ok(id, title, `available: ${list}`);
  } catch (e) {
    const { detail, fix } = jiraProblem(e);
    return fail(id, title, detail, e instanceof JiraNotFoundError ? `Pass an issue the integration account can see (--jira-issue). ${fix}` : fix);
  }
}
