/**
 * Sandbox mode for `npm start`: starts the simulated tenant, ServiceNow, Jira and mailbox, pointed at the running
 * intake, and writes the sandbox CA to a temporary file so curl and browsers can trust it (certificate checks stay on).
 * The sandbox is the `@resetpc/sandbox` workspace (sandbox/), loaded lazily: with real configuration, no sandbox code
 * is even loaded. This file is the only product code that may import it (eslint.config.mjs); the production image does
 * not ship it, and sandbox mode there stops with a message naming the image's `sandbox` target.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sandbox } from '@resetpc/sandbox';
import type { RemoteEnds } from '../../workers/compose';
import { Agent } from 'undici';
import type { TicketScopeSection } from '../config/sections';
import { createTicketingClients } from '../ticketing/clients';
import { createTicketReader, ticketScopeOf, type TicketReader } from '../ticketing/ticket-facts';

/** The intake's reader of cited tickets in sandbox mode: the simulated ServiceNow and Jira, trusted through the sandbox CA. */
export function sandboxTicketReader(config: TicketScopeSection, sandbox: Sandbox): TicketReader {
  const clients = createTicketingClients(sandboxRemoteEnds(sandbox), new Agent({ connect: { ca: sandbox.caPem } }));
  return createTicketReader({ scope: ticketScopeOf(config), ...clients });
}

/** The worker's remote ends in sandbox mode: the simulated tenant, ServiceNow, Jira and mailbox, and the sandbox CA. */
export function sandboxRemoteEnds(sandbox: Sandbox): RemoteEnds {
  const jira = sandbox.jira.credentials;
  return {
    tenantId: sandbox.tenantId,
    clientId: sandbox.clientId,
    clientSecret: sandbox.clientSecret,
    authorityHost: sandbox.urls.authorityHost,
    graphBaseUrl: sandbox.urls.graphBaseUrl,
    extraCaPem: sandbox.caPem,
    servicenow: { instanceUrl: sandbox.urls.servicenow, ...sandbox.servicenow.credentials.basic },
    ...(jira === undefined ? {} : { jira: { siteUrl: sandbox.urls.jira, email: jira.email, apiToken: jira.apiToken } }),
    // Email notifications go to the SMTP catcher: GET /_sandbox/emails shows them.
    ...(sandbox.smtp === undefined ? {} : { smtp: { host: sandbox.smtp.host, port: sandbox.smtp.port, secure: false }, mailFrom: 'resetpc@sandbox.invalid' }),
  };
}

export interface EmbeddedSandbox {
  readonly sandbox: Sandbox;
  readonly caFile: string;
  close(): Promise<void>;
}

export async function startEmbeddedSandbox(
  intakeBaseUrl: string,
  options: { servicenowSecret: string; jiraSecret: string; port: number; smtpPort: number },
): Promise<EmbeddedSandbox> {
  const { startSandbox } = await loadSandbox();
  const sandbox = await startSandbox({
    port: options.port,
    smtpPort: options.smtpPort,
    webhooks: { intakeBaseUrl, servicenowSecret: options.servicenowSecret, jiraSecret: options.jiraSecret },
  });
  const dir = mkdtempSync(join(tmpdir(), 'resetpc-sandbox-'));
  const caFile = join(dir, 'sandbox-ca.pem');
  writeFileSync(caFile, sandbox.caPem, { mode: 0o644 });
  return {
    sandbox,
    caFile,
    close: async () => {
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The sandbox, or an error that says where to find it: the production image leaves it out (docker/Dockerfile). */
async function loadSandbox(): Promise<typeof import('@resetpc/sandbox')> {
  try {
    return await import('@resetpc/sandbox');
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw err;
    throw new Error(
      'sandbox mode needs the sandbox package (@resetpc/sandbox), which this installation does not have: the production image ' +
        'leaves it out. Set AZURE_TENANT_ID and AZURE_CLIENT_ID for a real tenant, or run the image\'s `sandbox` target ' +
        '(docker/README.md); from a checkout, `npm install` then `npm start`.',
      { cause: err },
    );
  }
}
