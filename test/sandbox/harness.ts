/**
 * A sandbox per test file, reached through the product's own credential factory and Graph client, so every test
 * exercises the production code paths over real HTTPS with the sandbox CA trusted (never with checks turned off).
 */
import type { TokenCredential } from '@azure/identity';
import { Agent, fetch } from 'undici';
import { createGraphClient, type GraphClientSettings, type GraphGateway } from '../../src/graph/client';
import { createGraphCredential } from '../../src/graph/credential';
import { ManualClock, startSandbox, type Sandbox, type SandboxOptions } from '@resetpc/sandbox';

export interface TestSandbox {
  readonly sandbox: Sandbox;
  readonly clock: ManualClock;
  readonly credential: TokenCredential;
  /** A Graph gateway on the sandbox; closed by `close()`. Reads are not retried unless `readRetry` says so. */
  gateway(settings?: Partial<Omit<GraphClientSettings, 'credential'>> & { credential?: TokenCredential }): GraphGateway;
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
  const gateways: GraphGateway[] = [];
  return {
    sandbox,
    clock,
    credential,
    credentialWith,
    gateway(settings = {}) {
      const gateway = createGraphClient({
        credential,
        baseUrl: sandbox.urls.graphBaseUrl,
        extraCaPem: sandbox.caPem,
        readRetry: { maxRetries: 0, delaySeconds: 0 },
        ...settings,
      });
      gateways.push(gateway);
      return gateway;
    },
    async close() {
      await Promise.all(gateways.map((g) => g.close()));
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
