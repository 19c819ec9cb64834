/**
 * A ServiceNow simulator per test file on a real local HTTP server, reached through the product's own client, so
 * every test exercises the production code path over real HTTP.
 */
import { ManualClock } from '@resetpc/sandbox';
import { startServiceNowSim, type RunningServiceNowSim, type ServiceNowSimOptions } from '@resetpc/sandbox/servicenow';
import { ServiceNowClient, type ServiceNowClientOptions } from '../../../src/ticketing/servicenow';

export interface TestServiceNow {
  readonly sim: RunningServiceNowSim;
  /** The simulator's clock (token expiry, timestamps); the client keeps real time. */
  readonly clock: ManualClock;
  /** The product's client with the integration user's Basic credentials (or overrides). */
  basicClient(overrides?: Partial<ServiceNowClientOptions>): ServiceNowClient;
  /** The product's client with the OAuth client credentials (or overrides). */
  oauthClient(overrides?: Partial<ServiceNowClientOptions>): ServiceNowClient;
  /** A raw request, for shapes the client hides. */
  raw(method: 'GET' | 'PATCH' | 'POST', pathAndQuery: string, options?: { authorization?: string | null; body?: string; contentType?: string }): Promise<{ status: number; headers: Headers; body: unknown }>;
  /** The integration user's Basic Authorization header value. */
  readonly basicHeader: string;
  close(): Promise<void>;
}

export async function startTestServiceNow(options: Omit<ServiceNowSimOptions, 'clock'> = {}): Promise<TestServiceNow> {
  const clock = new ManualClock(Date.parse('2026-03-02T09:00:00Z'));
  const sim = await startServiceNowSim({ ...options, clock });
  const { basic, oauth } = sim.credentials;
  const basicHeader = `Basic ${Buffer.from(`${basic.username}:${basic.password}`).toString('base64')}`;
  return {
    sim,
    clock,
    basicHeader,
    basicClient: (overrides = {}) => new ServiceNowClient({ instanceUrl: sim.url, auth: { kind: 'basic', ...basic }, timeoutMs: 5000, ...overrides }),
    oauthClient: (overrides = {}) => new ServiceNowClient({ instanceUrl: sim.url, auth: { kind: 'oauth', ...oauth }, timeoutMs: 5000, ...overrides }),
    async raw(method, pathAndQuery, opts = {}) {
      const headers: Record<string, string> = { accept: 'application/json' };
      const authorization = opts.authorization === undefined ? basicHeader : opts.authorization;
      if (authorization !== null) headers.authorization = authorization;
      if (opts.contentType !== undefined) headers['content-type'] = opts.contentType;
      const response = await fetch(`${sim.url}${pathAndQuery}`, { method, headers, ...(opts.body === undefined ? {} : { body: opts.body }) });
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
    },
    close: () => sim.close(),
  };
}
