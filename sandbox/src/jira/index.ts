/** The simulated Jira Cloud site: a mountable handler, a standalone server for tests, and a webhook sender. */
import { listenOnLoopback } from '../loopback-server';
import { createJiraSim, type JiraSim, type JiraSimOptions } from './sim';

export { adfProblem } from './adf-validate';
export { JiraSimControl, type JiraRateLimit, type JiraRequestRecord, type NewIssue } from './control';
export { createJiraSim, type JiraSim, type JiraSimOptions } from './sim';
export * from './state';
export { deliverWebhook, issueEventBody, jiraRetries, type JiraIssueEvent, type JiraWebhookChange, type WebhookAttempt, type WebhookDelivery, type WebhookResult, type WebhookSendOptions } from './webhooks';

export interface StartedJiraSim extends JiraSim {
  /** http://127.0.0.1:PORT (plus the base path): the client's `siteUrl`. */
  readonly url: string;
  close(): Promise<void>;
}

/** The Jira sandbox alone on 127.0.0.1 and a free port, over plain HTTP (loopback only). */
export async function startJiraSim(options: Omit<JiraSimOptions, 'signal'> & { readonly port?: number } = {}): Promise<StartedJiraSim> {
  const closing = new AbortController();
  const sim = createJiraSim({ ...options, signal: closing.signal });
  const server = await listenOnLoopback(sim.handler, options.port);
  return {
    ...sim,
    url: `http://127.0.0.1:${server.port}${(options.basePath ?? '').replace(/\/+$/, '')}`,
    close: async () => {
      closing.abort();
      await server.close();
    },
  };
}
