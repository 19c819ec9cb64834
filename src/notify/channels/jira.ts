/**
 * The Jira channel: a comment (ADF on a plain issue; on a Jira Service Management request an internal note or a
 * public comment, as configured, whose plain-text body Jira renders as wiki markup: hence the escaped text), and on a final outcome a transition found by name: the first of the configured names
 * that the issue offers. None offered is a permanent error naming the transitions that are (reported once: the
 * notification is undeliverable at once, never retried by itself).
 */
import type { JiraClient, JiraIssue, JiraTransition } from '../../ticketing/jira';
import { JiraTransitionNotFoundError } from '../../ticketing/jira';
import type { NotificationFacts } from '../facts';
import type { NotificationMessage } from '../message';
import type { JiraWriteBack } from '../settings';
import type { ChannelContext } from './step';

/** A JSM request: its project is a service desk, or it has a customer request type. */
export function isServiceDeskRequest(issue: JiraIssue, requestTypeField: string): boolean {
  const project = issue.fields.project as { projectTypeKey?: unknown } | undefined;
  const requestType = issue.fields[requestTypeField];
  return project?.projectTypeKey === 'service_desk' || (requestType !== null && requestType !== undefined);
}

/** The first wanted name the issue offers, by transition name or, failing that, by a unique target status. */
export function pickTransition(available: readonly JiraTransition[], wanted: readonly string[]): JiraTransition | undefined {
  for (const name of wanted) {
    const lower = name.trim().toLowerCase();
    const byName = available.find((t) => t.name.toLowerCase() === lower);
    if (byName !== undefined) return byName;
    const byTarget = available.filter((t) => t.to?.toLowerCase() === lower);
    if (byTarget.length === 1) return byTarget[0];
  }
  return undefined;
}

export async function deliverToJira(
  client: JiraClient,
  key: string,
  facts: NotificationFacts,
  message: NotificationMessage,
  settings: JiraWriteBack & { readonly requestTypeField: string },
  ctx: ChannelContext,
): Promise<void> {
  const options = ctx.signal === undefined ? {} : { signal: ctx.signal };
  await ctx.step('comment', async () => {
    const issue = await client.getIssue(key, { ...options, fields: ['project', settings.requestTypeField] });
    if (isServiceDeskRequest(issue, settings.requestTypeField)) await client.addServiceDeskComment(key, message.jiraWikiText, settings.visibility === 'public', options);
    else await client.addComment(key, message.adf, options);
  });
  if (!facts.final || facts.event === 'linked_to_active_request') return;
  const wanted = facts.kind === 'success' ? settings.successTransitions : settings.failureTransitions;
  if (wanted.length === 0) return;
  await ctx.step('transition', async () => {
    const available = await client.getTransitions(key, options);
    const found = pickTransition(available, wanted);
    if (found === undefined) throw new JiraTransitionNotFoundError(key, wanted.join('" or "'), available.map((t) => t.name));
    await client.transitionByName(key, found.name, options);
  });
}
