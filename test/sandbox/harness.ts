/**
 * A sandbox per test file, reached through the product's own credential factory, Graph client and Intune gateway, so
 * every test exercises the production code paths over real HTTPS with the sandbox CA trusted (never with checks
 * turned off).
 */
import type { TokenCredential } from '@azure/identity';
import type { GraphRequest } from '@microsoft/microsoft-graph-client';
import type { Redis } from 'ioredis';
import { Agent, fetch } from 'undici';
import { DEFAULT_BUDGET_LIMITS, GraphBudget } from '../../src/graph/budget';
import { graphRequest, type GraphVersion } from '../../src/graph/call';
import { createGraphClient, type GraphClient, type GraphClientSettings } from '../../src/graph/client';
import { createGraphCredential } from '../../src/graph/credential';
import { createIntuneGateway, type IntuneGateway } from '../../src/graph/gateway';
import { createRedis } from '../../src/redis/connection';
import { testRedisUrl, uniquePrefix } from '../support/env';
import { ManualClock, startSandbox, type Sandbox, type SandboxOptions } from '@resetpc/sandbox';

export interface TestSandbox {
  readonly sandbox: Sandbox;
  readonly clock: ManualClock;
  readonly credential: TokenCredential;
  /** The product's Graph client on the sandbox (the one the gateway sends through); closed by `close()`. */
  graph(settings?: Partial<Omit<GraphClientSettings, 'credential'>> & { credential?: TokenCredential }): GraphClient;
  /**
   * The production Intune gateway (createIntuneGateway) on the sandbox: budgeted on the test Redis (a budget and a
   * cache of its own each time), errors mapped to the product's GraphError.
   */
  intune(options?: { credential?: TokenCredential; client?: GraphClient; maxDevicePages?: number }): IntuneGateway;
  /**
   * A request as the gateway sends it (graphRequest: explicit version, never resent by the client), for what the
   * simulator serves that the gateway maps away (raw properties, $select, beta-only fields). Errors are the client's.
   */
  request(path: string, options?: { version?: GraphVersion; client?: GraphClient }): GraphRequest;
  /** A real credential for the sandbox app with another secret, or another client id. */
  credentialWith(overrides: { clientSecret?: string; clientId?: string }): TokenCredential;
  close(): Promise<void>;
}

export async function startTestSandbox(options: Omit<SandboxOptions, 'clock'> = {}): Promise<TestSandbox> {
  const clock = new ManualClock(Date.parse('2026-03-02T09:00:00Z'));
  const sandbox = await startSandbox({ ...options, clock });
  const credentialWith = (overrides: { clientSecret?: string; clientId?: string }): TokenCredential =>
    createGraphCredential({
      tenantId: sandbox.tenantId,
      clientId: overrides.clientId ?? sandbox.clientId,
      clientSecret: overrides.clientSecret ?? sandbox.clientSecret,
      authorityHost: sandbox.urls.authorityHost,
      disableInstanceDiscovery: true,
      extraCaPem: sandbox.caPem,
    });
  const credential = credentialWith({});
  const clients: GraphClient[] = [];
  const graph = (settings: Partial<Omit<GraphClientSettings, 'credential'>> & { credential?: TokenCredential } = {}): GraphClient => {
    const client = createGraphClient({ credential, baseUrl: sandbox.urls.graphBaseUrl, extraCaPem: sandbox.caPem, ...settings });
    clients.push(client);
    return client;
  };
  let redis: Redis | undefined;
  const prefix = uniquePrefix('sandbox-intune');
  let gateways = 0;
  return {
    sandbox,
    clock,
    credential,
    credentialWith,
    graph,
    intune(options = {}) {
      redis ??= createRedis(testRedisUrl(), 'worker', { name: 'sandbox-harness' });
      const client = options.client ?? graph(options.credential === undefined ? {} : { credential: options.credential });
      const own = `${prefix}${String((gateways += 1))}`;
      const budget = new GraphBudget(redis, own, DEFAULT_BUDGET_LIMITS, () => clock.now());
      const maxPages = options.maxDevicePages === undefined ? {} : { maxDevicePages: options.maxDevicePages };
      return createIntuneGateway({ client, budget, tenantId: sandbox.tenantId, redis, prefix: own, ...maxPages });
    },
    request(path, options = {}) {
      return graphRequest((options.client ?? graph()).client, path, options.version ?? 'v1.0', undefined);
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      if (redis !== undefined) {
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length > 0) await redis.del(...keys);
        await redis.quit();
      }
      await sandbox.close();
    },
  };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly body: unknown;
}

/** A raw HTTPS request to the sandbox, trusting only the sandbox CA. For shapes the product's clients hide. */
export async function rawRequest(
  sandbox: Sandbox,
  method: 'GET' | 'POST',
  path: string,
  options: { authorization?: string; body?: string; contentType?: string } = {},
): Promise<RawResponse> {
  const dispatcher = new Agent({ connect: { ca: sandbox.caPem } });
  const headers: Record<string, string> = {};
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  if (options.contentType !== undefined) headers['content-type'] = options.contentType;
  try {
    const response = await fetch(`${sandbox.urls.origin}${path}`, { method, headers, body: options.body ?? null, dispatcher });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  } finally {
    await dispatcher.close();
  }
}

/** A raw Graph call with a chosen Authorization header (or none). */
export function rawGraphCall(sandbox: Sandbox, method: 'GET' | 'POST', path: string, authorization: string | undefined): Promise<RawResponse> {
  return rawRequest(sandbox, method, path, authorization === undefined ? {} : { authorization });
}
