/**
 * The worker process for production: `node dist/workers/main.js`. Configuration from the environment only.
 * Runs the `reset` step machine; run as many processes as you like. SIGTERM: work in hand finishes, then it exits.
 */
import { ConfigError, loadConfig } from '../src/config/load';
import { tenantCredentialProblem } from '../src/config/schema';
import { createLogger } from '../src/logging/logger';
import { onShutdown } from '../src/process/lifecycle';
import { remoteEndsFromConfig, startWorkers } from './compose';
import { startWorkerHealth } from './health';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL, 'worker');
  const problem = tenantCredentialProblem(config);
  if (problem !== undefined || config.AZURE_TENANT_ID === undefined || config.AZURE_CLIENT_ID === undefined) {
    throw new ConfigError([`${problem ?? 'AZURE_TENANT_ID, AZURE_CLIENT_ID'} (the worker process needs a tenant; npm start runs a sandbox instead)`]);
  }
  const workers = startWorkers(config, remoteEndsFromConfig(config, config.AZURE_TENANT_ID, config.AZURE_CLIENT_ID, config.AZURE_CLIENT_SECRET ?? ''), log);
  const health = await startWorkerHealth(workers, config.HOST, config.WORKER_HEALTH_PORT);
  log.info({ concurrency: config.WORKER_CONCURRENCY, health: `http://${config.HOST}:${String(config.WORKER_HEALTH_PORT)}/health/ready` }, 'reset worker running');
  onShutdown(log, async () => {
    await health.close();
    await workers.close();
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String(err instanceof Error ? err.stack : err)}\n`);
  process.exit(1);
});
