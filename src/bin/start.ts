/**
 * `npm start`: the whole product on embedded defaults, for trying it out.
 * Redis: REDIS_URL if set; else 127.0.0.1:6379 if it answers; else a redis-server spawned in a temporary directory.
 * API: a demo token named `demo-admin` with every role (its value is SANDBOX_API_TOKEN if set), and `demo-approver`
 * (approve, operate) to approve what the first submits (`<SANDBOX_API_TOKEN>.approver` if set), printed once.
 * Sandbox mode (no Microsoft tenant configured): the tenant, ServiceNow, Jira and the mailbox are simulated, and the
 * simulated ticketing systems' webhooks are signed with secrets made for this run.
 */
import { randomBytes } from 'node:crypto';
import { ALL_ROLES, isSandboxMode, tenantCredentialProblem, type Config } from '../config/schema';
import { ConfigError, parseConfig, readEnvironment } from '../config/load';
import { TokenRegistry, generateToken, sha256Hex } from '../auth/tokens';
import { createLogger } from '../logging/logger';
import { redisAnswers } from '../redis/connection';
import { RedisServerNotFoundError, spawnRedisServer, type SpawnedRedis } from '../redis/spawn';
import { remoteEndsFromConfig, startWorkers, type RemoteEnds, type RunningWorkers } from '../../workers/compose';
import { sandboxRemoteEnds, sandboxTicketReader, type EmbeddedSandbox } from './embedded-sandbox';
import { onShutdown } from '../process/lifecycle';
import { assertPortsFree, PortInUseError } from './ports';
import { startIntakeServer, ticketReaderFromConfig } from './intake-server';
import { deferredTicketReader } from '../ticketing/ticket-facts';

const LOCAL_REDIS = 'redis://127.0.0.1:6379';

async function main(): Promise<void> {
  const vars = withSandboxDefaults(readEnvironment());
  const parsed = parseConfig(vars);
  const sandboxMode = isSandboxMode(parsed);
  const config: Config = sandboxMode ? withSandboxWebhooks(parsed) : parsed;
  const log = createLogger(config.LOG_LEVEL, 'start');
  // Refuse before anything listens, naming the variable to change: a half-started product is worse than none.
  await assertPortsFree([
    { port: config.PORT, host: config.HOST, variable: 'PORT' },
    ...(sandboxMode ? [{ port: config.SANDBOX_PORT, host: '127.0.0.1', variable: 'SANDBOX_PORT' }, { port: config.SANDBOX_SMTP_PORT, host: '127.0.0.1', variable: 'SANDBOX_SMTP_PORT' }] : []),
  ]);

  let spawned: SpawnedRedis | undefined;
  let redisUrl: string;
  if (vars.REDIS_URL !== undefined && vars.REDIS_URL !== '') {
    redisUrl = config.REDIS_URL;
  } else if (await redisAnswers(LOCAL_REDIS)) {
    redisUrl = LOCAL_REDIS;
  } else {
    spawned = await spawnRedisServer();
    redisUrl = spawned.url;
    log.info({ redis: redisUrl, dir: spawned.dir }, 'no Redis was reachable; started redis-server for this run (its data is deleted on exit)');
  }

  const demoToken = config.SANDBOX_API_TOKEN ?? generateToken();
  // No one approves what they submitted: a second demo identity approves the demo token's requests.
  const approverToken = config.SANDBOX_API_TOKEN === undefined ? generateToken() : `${config.SANDBOX_API_TOKEN}.approver`;
  const tokens = new TokenRegistry([
    ...(config.API_TOKENS ?? []),
    { name: 'demo-admin', roles: [...ALL_ROLES], sha256: sha256Hex(demoToken) },
    { name: 'demo-approver', roles: ['approve', 'operate'], sha256: sha256Hex(approverToken) },
  ]);
  // In sandbox mode the simulated ServiceNow and Jira start after the intake (they need its URL): cited tickets are
  // read through them once they are up.
  const tickets = sandboxMode ? deferredTicketReader() : undefined;
  const { app, url } = await startIntakeServer(config, tokens, redisUrl, tickets ?? ticketReaderFromConfig(config));

  let embedded: EmbeddedSandbox | undefined;
  if (sandboxMode) {
    const { startEmbeddedSandbox } = await import('./embedded-sandbox.js');
    const started = await startEmbeddedSandbox(url, {
      servicenowSecret: config.SERVICENOW_WEBHOOK_SECRET ?? '',
      jiraSecret: config.JIRA_WEBHOOK_SECRET ?? '',
      port: config.SANDBOX_PORT,
      smtpPort: config.SANDBOX_SMTP_PORT,
    });
    embedded = started;
    log.warn(
      { sandbox: started.sandbox.urls.origin },
      'SANDBOX MODE: the Microsoft tenant, ServiceNow, Jira and the mailbox are SIMULATED; no real device or ticket is touched. Set AZURE_TENANT_ID and AZURE_CLIENT_ID to use a real tenant.',
    );
  }

  let workers: RunningWorkers | undefined;
  const remote = embedded === undefined ? realRemote(config) : sandboxRemoteEnds(embedded.sandbox);
  if (tickets !== undefined && embedded !== undefined) tickets.bind(sandboxTicketReader(config, embedded.sandbox));
  if (remote !== undefined) workers = startWorkers(config, remote, log, redisUrl);
  else log.warn({ missing: tenantCredentialProblem(config) }, 'no tenant credential: requests are accepted and queued, but no worker runs');

  // The banner comes last, once the worker's Redis answers: the log lines of starting up are above it, not after.
  await workers?.whenReady(10_000).catch((err: unknown) => {
    log.warn({ err: err instanceof Error ? { message: err.message } : String(err) }, 'the worker is not connected to Redis yet');
  });
  const shown = url.replace('127.0.0.1', 'localhost');
  const sandboxLines =
    embedded === undefined
      ? []
      : [
          '',
          'SANDBOX MODE: the tenant, ServiceNow, Jira and the mailbox below are simulated.',
          `  Control API:  ${embedded.sandbox.urls.control}   (docs/sandbox.md)`,
          `  Entra ID:     ${embedded.sandbox.urls.authorityHost}/${embedded.sandbox.tenantId}   (tenant ${embedded.sandbox.tenantId})`,
          `  Graph:        ${embedded.sandbox.urls.graphBaseUrl}v1.0`,
          `  ServiceNow:   ${embedded.sandbox.urls.servicenow}`,
          `  Jira:         ${embedded.sandbox.urls.jira}`,
          `  SMTP:         ${embedded.sandbox.urls.smtp ?? '(off)'}`,
          `  Sandbox CA:   ${embedded.caFile}   (curl --cacert ${embedded.caFile} ${embedded.sandbox.urls.control})`,
        ];
  // The banner goes to the terminal, not to the log stream: the demo token is printed once, by design.
  process.stdout.write(
    [
      '',
      'Intune passcode reset is running on embedded defaults.',
      `  API:          ${shown}/v1/resets`,
      `  API docs:     ${shown}/docs`,
      `  Dashboard:    ${shown}/ops   (sign in with the demo token below; queues at ${shown}/admin/queues)`,
      `  Redis:        ${redisUrl}${spawned === undefined ? '' : ' (spawned for this run)'}`,
      `  Demo token:   ${demoToken}   (name demo-admin, every role${config.SANDBOX_API_TOKEN === undefined ? '; set SANDBOX_API_TOKEN to fix it' : ''})`,
      `  Approver:     ${approverToken}   (name demo-approver, roles approve and operate: approves what the demo token submits)`,
      '',
      'Try:',
      `  curl -s -X POST ${shown}/v1/resets -H "Authorization: Bearer ${demoToken}" -H 'Content-Type: application/json' \\`,
      `    -d '{"device":{"deviceName":"${embedded === undefined ? 'PHONE-NAME' : 'AE-FM-0100'}"},"requestedBy":"anna@contoso.com","reason":"locked out"}'`,
      ...sandboxLines,
      '',
    ].join('\n') + '\n',
  );

  onShutdown(log, async () => {
    await app.close();
    await workers?.close();
    await embedded?.close();
    await spawned?.stop();
  });
}

/**
 * Sandbox mode (no AZURE_TENANT_ID or AZURE_CLIENT_ID) sets JIRA_PROJECTS to the simulated site's HD when unset. It is
 * applied before validation, so that a JIRA_WEBHOOK_SECRET alone does not make `npm start` refuse.
 */
function withSandboxDefaults(vars: Record<string, string>): Record<string, string> {
  const real = (vars.AZURE_TENANT_ID ?? '') !== '' || (vars.AZURE_CLIENT_ID ?? '') !== '';
  return real || (vars.JIRA_PROJECTS ?? '') !== '' ? vars : { ...vars, JIRA_PROJECTS: 'HD' };
}

function realRemote(config: Config): RemoteEnds | undefined {
  if (tenantCredentialProblem(config) !== undefined || config.AZURE_TENANT_ID === undefined || config.AZURE_CLIENT_ID === undefined) return undefined;
  return remoteEndsFromConfig(config, config.AZURE_TENANT_ID, config.AZURE_CLIENT_ID, config.AZURE_CLIENT_SECRET ?? '');
}

/** In sandbox mode the simulated ServiceNow and Jira sign their webhooks with secrets made for this run. */
function withSandboxWebhooks(config: Config): Config {
  return Object.freeze({
    ...config,
    SERVICENOW_WEBHOOK_SECRET: config.SERVICENOW_WEBHOOK_SECRET ?? randomBytes(24).toString('base64url'),
    JIRA_WEBHOOK_SECRET: config.JIRA_WEBHOOK_SECRET ?? randomBytes(24).toString('base64url'),
  });
}

main().catch((err: unknown) => {
  const message =
    err instanceof ConfigError || err instanceof RedisServerNotFoundError || err instanceof PortInUseError ? err.message : String(err instanceof Error ? err.stack : err);
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
