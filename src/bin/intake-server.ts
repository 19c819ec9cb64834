import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { GraphSection, ListenSection, RedisSection, TicketingAccountsSection, TicketScopeSection } from '../config/sections';
import type { TokenRegistry } from '../auth/tokens';
import { buildIntakeApp, type IntakeDeps } from '../intake/app';
import { createQueues } from '../queue/queues';
import { createRedis } from '../redis/connection';
import { readFileSync } from 'node:fs';
import { Agent } from 'undici';
import { createTicketingClients, ticketingSettingsFromConfig } from '../ticketing/clients';
import { createTicketReader, ticketScopeOf, type TicketReader } from '../ticketing/ticket-facts';
import { productVersion } from '../version';

export interface RunningIntake {
  readonly app: FastifyInstance;
  readonly url: string;
}

/** What the intake server reads: Redis, where it listens, the cited tickets' reader, and what the app reads (IntakeDeps.config). */
export type IntakeServerConfig = IntakeDeps['config'] & RedisSection & ListenSection & TicketReaderConfig;

/** What the reader of cited tickets reads: the ticketing accounts, the tickets in scope, the extra CA to trust. */
export type TicketReaderConfig = TicketingAccountsSection & TicketScopeSection & Pick<GraphSection, 'GRAPH_EXTRA_CA_FILE'>;

/**
 * The intake's composition root: builds the Redis connection and queues from config, mounts the app and listens.
 * Closing the app closes the queues and Redis (onClose), after requests in flight have finished.
 */
export async function startIntakeServer(config: IntakeServerConfig, tokens: TokenRegistry, redisUrl = config.REDIS_URL, tickets: TicketReader = ticketReaderFromConfig(config)): Promise<RunningIntake> {
  const redis = createIntakeRedis(redisUrl, config.REDIS_COMMAND_TIMEOUT_MS);
  const queues = createQueues(redis, config.REDIS_PREFIX);
  const app = await buildIntakeApp({ config, redis, queues, tokens, tickets, version: productVersion() });
  app.addHook('onClose', async () => {
    await queues.close();
    await redis.quit().catch(() => {
      redis.disconnect();
    });
  });
  const url = await app.listen({ port: config.PORT, host: config.HOST });
  return { app, url };
}

/**
 * The intake's one producer connection: the store, the rate limiter, the dashboard and the queues share it, and a new
 * request's job and its accept script must (ADR 013). Its commands are written as they are issued, in order, without
 * auto-pipelining (ADR 016): ioredis builds a Pipeline for each auto-pipelined batch, and with one request per batch the
 * Pipelines cost more CPU than the writes they save and keep the young generation's garbage alive (scavenges of 10–50
 * ms, the intake's p99).
 */
export function createIntakeRedis(url: string, commandTimeoutMs: number, name = 'resetpc-intake'): Redis {
  return createRedis(url, 'producer', { commandTimeoutMs, name, autoPipelining: false });
}

/**
 * Reads cited tickets with the configured ServiceNow and Jira accounts (the workers' own), trusting GRAPH_EXTRA_CA_FILE
 * as the workers do. With neither configured, every citation is refused with 422 ticket_system_not_configured.
 */
export function ticketReaderFromConfig(config: TicketReaderConfig): TicketReader {
  const dispatcher = config.GRAPH_EXTRA_CA_FILE === undefined ? undefined : new Agent({ connect: { ca: readFileSync(config.GRAPH_EXTRA_CA_FILE, 'utf8') } });
  const clients = createTicketingClients(ticketingSettingsFromConfig(config), dispatcher);
  return createTicketReader({ scope: ticketScopeOf(config), ...clients });
}
