import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { Writable } from 'node:stream';
import { TokenRegistry, generateToken, sha256Hex } from '../../src/auth/tokens';
import { parseConfig } from '../../src/config/load';
import type { Config, Role } from '../../src/config/schema';
import { buildIntakeApp } from '../../src/intake/app';
import { createQueues, type Queues } from '../../src/queue/queues';
import { waitForReady } from '../../src/redis/connection';
import { createIntakeRedis } from '../../src/bin/intake-server';
import { RequestStore } from '../../src/store/requests';
import { testRedisUrl, uniquePrefix } from './env';
import type { TicketReader } from '../../src/ticketing/ticket-facts';

export const JIRA_SECRET = 'jira-webhook-secret-for-tests-0001';
/** The callers' names (the identities in timelines and approval checks). */
export const TOKEN_NAMES = { submitter: 'submitter', approver: 'mia.approver@contoso.com', operator: 'operator', admin: 'admin', integration: 'helpdesk-integration' } as const;

export const SERVICENOW_SECRET = 'servicenow-webhook-secret-for-tests-0001';

export interface TestIntake {
  readonly app: FastifyInstance;
  readonly config: Config;
  readonly redis: Redis;
  readonly queues: Queues;
  readonly store: RequestStore;
  readonly prefix: string;
  /** Bearer tokens by name: submitter (submit), approver (approve), operator (operate), admin (admin), integration (submit and ticket). */
  readonly tokens: Readonly<Record<'submitter' | 'approver' | 'operator' | 'admin' | 'integration', string>>;
  /** Every log line the app wrote, parsed. */
  readonly logs: Record<string, unknown>[];
  readonly rawLogs: string[];
  auth(name: keyof TestIntake['tokens']): { authorization: string };
  close(): Promise<void>;
}

/** The real intake app on a real Redis, with its own key prefix, mounted for `inject`. */
export async function createTestIntake(label: string, env: Record<string, string> = {}, redisUrl = testRedisUrl(), options: { readonly tickets?: TicketReader } = {}): Promise<TestIntake> {
  const config = parseConfig({
    REDIS_URL: redisUrl,
    REDIS_PREFIX: uniquePrefix(label),
    LOG_LEVEL: 'info',
    JIRA_WEBHOOK_SECRET: JIRA_SECRET,
    JIRA_PROJECTS: 'HD',
    SERVICENOW_WEBHOOK_SECRET: SERVICENOW_SECRET,
    // A webhook's ticket is accepted only when its system's REST API is configured (its approval is read there). The
    // intake itself never calls them: API citations are read by `options.tickets`.
    SERVICENOW_INSTANCE_URL: 'https://servicenow.example.invalid',
    SERVICENOW_USERNAME: 'resetpc.integration',
    SERVICENOW_PASSWORD: 'servicenow-password-for-tests',
    JIRA_SITE_URL: 'https://jira.example.invalid',
    JIRA_EMAIL: 'resetpc@contoso.com',
    JIRA_API_TOKEN: 'jira-api-token-for-tests',
    ...env,
  });
  const prefix = config.REDIS_PREFIX;
  const roles: Record<keyof TestIntake['tokens'], Role[]> = { submitter: ['submit'], approver: ['approve'], operator: ['operate'], admin: ['admin'], integration: ['submit', 'ticket'] };
  const tokens = Object.fromEntries(Object.keys(roles).map((name) => [name, generateToken()])) as Record<keyof TestIntake['tokens'], string>;
  const registry = new TokenRegistry(
    Object.entries(roles).map(([key, r]) => ({ name: TOKEN_NAMES[key as keyof TestIntake['tokens']], roles: r, sha256: sha256Hex(tokens[key as keyof TestIntake['tokens']]) })),
  );
  // The intake's own connection (src/bin/intake-server.ts): commands written in order, without auto-pipelining.
  const redis = createIntakeRedis(config.REDIS_URL, config.REDIS_COMMAND_TIMEOUT_MS, 'resetpc-intake-test');
  await waitForReady(redis, 5000);
  const queues = createQueues(redis, prefix);
  const logs: Record<string, unknown>[] = [];
  const rawLogs: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        rawLogs.push(line);
        logs.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  const app = await buildIntakeApp({ config, redis, queues, tokens: registry, logStream, ...(options.tickets === undefined ? {} : { tickets: options.tickets }) });
  await app.ready();
  return {
    app,
    config,
    redis,
    queues,
    store: new RequestStore(redis, prefix),
    prefix,
    tokens,
    logs,
    rawLogs,
    auth: (name) => ({ authorization: `Bearer ${tokens[name]}` }),
    close: async () => {
      await app.close();
      await queues.close();
      await redis.quit().catch(() => {
        redis.disconnect();
      });
    },
  };
}
