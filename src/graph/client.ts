/**
 * The Graph gateway's foundation: the Microsoft Graph client (v3) with a token credential, and the typed calls the
 * workflow needs. resetPasscode is not idempotent (each call makes a new passcode), so it is sent exactly once:
 * the client's RetryHandler is switched off for it. Reads keep the RetryHandler with configurable limits.
 */
import type { TokenCredential } from '@azure/identity';
import { Client, MiddlewareFactory, RetryHandlerOptions, type ClientOptions } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js';
import type { ManagedDevice } from '@microsoft/microsoft-graph-types';
import { Agent } from 'undici';
import { caListWith } from './credential';
import { SharedTokenCredential } from './token-cache';
import { eqFilter, pathSegment } from './odata';
import { ResponseStatusHandler, type ResponseStatus } from './response-status';

export const GRAPH_PUBLIC_BASE_URL = 'https://graph.microsoft.com/';
/** Hosts the Graph client already treats as Graph (it attaches the token to https URLs on these and on customHosts). */
const KNOWN_GRAPH_HOSTS = new Set(['graph.microsoft.com', 'graph.microsoft.us', 'dod-graph.microsoft.us', 'microsoftgraph.chinacloudapi.cn', 'canary.graph.microsoft.com']);

export interface GraphClientSettings {
  readonly credential: TokenCredential;
  /** Graph root, with a trailing slash; default https://graph.microsoft.com/. National clouds and the sandbox set it. */
  readonly baseUrl?: string;
  readonly version?: 'v1.0' | 'beta';
  /** Default: `<baseUrl origin>/.default`. */
  readonly scopes?: readonly string[];
  /** A CA (PEM) to trust in addition to the system roots. Only for the sandbox. */
  readonly extraCaPem?: string;
  /** Retries of reads on 429/503/504 (honouring Retry-After). Default: the client's own, 3 retries, 3 s base delay. */
  readonly readRetry?: { readonly maxRetries: number; readonly delaySeconds: number };
}

export interface RequestOptions {
  readonly signal?: AbortSignal;
  /** Gets the HTTP status Graph answers (response-status.ts), for the metrics. */
  readonly answer?: ResponseStatus | undefined;
}

export type DeviceLookup = 'deviceName' | 'serialNumber' | 'azureADDeviceId';

export interface GraphGateway {
  /** The underlying client, for calls the gateway does not type yet. */
  readonly client: Client;
  getDevice(id: string, select?: readonly string[], options?: RequestOptions): Promise<ManagedDevice>;
  /** Every device whose `by` equals `value` (following @odata.nextLink, at most `maxPages` pages). */
  findDevices(by: DeviceLookup, value: string, options?: RequestOptions & { select?: readonly string[]; top?: number; maxPages?: number }): Promise<ManagedDevice[]>;
  /** Exactly one POST …/resetPasscode: never retried by the client, whatever the answer. */
  resetPasscode(id: string, options?: RequestOptions): Promise<void>;
  /** Makes sure a token is at hand (shared by every concurrent call), so that a budgeted call is sent when admitted. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

interface Page<T> {
  value: T[];
  '@odata.nextLink'?: string;
}

const NO_RETRY = (): RetryHandlerOptions => new RetryHandlerOptions(0, 0, () => false);

export function createGraphClient(settings: GraphClientSettings): GraphGateway {
  const baseUrl = settings.baseUrl ?? GRAPH_PUBLIC_BASE_URL;
  const base = new URL(baseUrl);
  if (base.protocol !== 'https:') throw new Error('the Graph base URL must be https: the client sends no token elsewhere');
  const scopes = [...(settings.scopes ?? [`${base.origin}/.default`])];
  const dispatcher = settings.extraCaPem === undefined ? undefined : new Agent({ connect: { ca: caListWith(settings.extraCaPem) } });
  // Node's fetch takes an undici `dispatcher`; the client's FetchOptions typing (DOM RequestInit) does not declare it.
  const fetchOptions = dispatcher === undefined ? undefined : ({ dispatcher } as unknown as ClientOptions['fetchOptions']);

  const credential = new SharedTokenCredential(settings.credential);
  // The client's default chain (authentication, retry, redirect, telemetry, then the sender), with the handler that
  // notes each answer's status for the metrics just before the sender.
  const middleware = MiddlewareFactory.getDefaultMiddlewareChain(new TokenCredentialAuthenticationProvider(credential, { scopes }));
  middleware.splice(middleware.length - 1, 0, new ResponseStatusHandler());
  const options: ClientOptions = {
    middleware,
    baseUrl: baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`,
    defaultVersion: settings.version ?? 'v1.0',
    ...(KNOWN_GRAPH_HOSTS.has(base.hostname) ? {} : { customHosts: new Set([base.hostname]) }),
    ...(fetchOptions === undefined ? {} : { fetchOptions }),
  };
  const client = Client.initWithMiddleware(options);
  const readRetry = (): RetryHandlerOptions =>
    settings.readRetry === undefined ? new RetryHandlerOptions() : new RetryHandlerOptions(settings.readRetry.delaySeconds, settings.readRetry.maxRetries);

  const request = (path: string, signal: AbortSignal | undefined, retry: RetryHandlerOptions, answer?: ResponseStatus) => {
    const req = client.api(path).middlewareOptions([retry, ...(answer === undefined ? [] : [answer])]);
    return signal === undefined ? req : req.option('signal', signal);
  };

  return {
    client,
    async getDevice(id, select, opts) {
      let req = request(`/deviceManagement/managedDevices/${pathSegment(id)}`, opts?.signal, readRetry());
      if (select !== undefined) req = req.select([...select]);
      return (await req.get()) as ManagedDevice;
    },
    async findDevices(by, value, opts) {
      let req = request('/deviceManagement/managedDevices', opts?.signal, readRetry()).filter(encodeURIComponent(eqFilter(by, value)));
      if (opts?.select !== undefined) req = req.select([...opts.select]);
      if (opts?.top !== undefined) req = req.top(opts.top);
      const devices: ManagedDevice[] = [];
      const maxPages = opts?.maxPages ?? 10;
      let page = (await req.get()) as Page<ManagedDevice>;
      for (let pages = 1; ; pages += 1) {
        devices.push(...page.value);
        const next = page['@odata.nextLink'];
        if (next === undefined) return devices;
        if (pages >= maxPages) throw new Error(`more than ${maxPages} pages of devices match; refusing to guess`);
        page = (await request(next, opts?.signal, readRetry()).get()) as Page<ManagedDevice>;
      }
    },
    async resetPasscode(id, opts) {
      await request(`/deviceManagement/managedDevices/${pathSegment(id)}/resetPasscode`, opts?.signal, NO_RETRY(), opts?.answer).post(undefined);
    },
    async ready() {
      await credential.getToken(scopes);
    },
    async close() {
      await dispatcher?.close();
    },
  };
}
