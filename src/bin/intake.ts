/**
 * The intake process for production: configuration from the environment only, no embedded defaults.
 * Run: node dist/src/bin/intake.js
 */
import { TokenRegistry } from '../auth/tokens';
import { ConfigError, loadConfig } from '../config/load';
import { createLogger } from '../logging/logger';
import { onShutdown } from '../process/lifecycle';
import { startIntakeServer } from './intake-server';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL, 'intake');
  const tokens = new TokenRegistry(config.API_TOKENS ?? []);
  if (tokens.size === 0) log.warn('API_TOKENS is empty: every API call will be refused with 401 (webhooks still work)');
  const { app, url } = await startIntakeServer(config, tokens);
  log.info({ url }, 'intake listening');
  onShutdown(log, () => app.close());
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String(err instanceof Error ? err.stack : err)}\n`);
  process.exit(1);
});
