/**
 * The Microsoft Graph client (v3) with a token credential shared by concurrent calls, the Graph root (public, a
 * national cloud or the sandbox) and an extra CA when one is given. The Intune gateway (gateway.ts) is the one set of
 * Graph calls the workflow makes; this module only connects.
 */
import type { TokenCredential } from '@azure/identity';
import { Client, GraphClientError, MiddlewareFactory, type AuthenticationProvider, type ClientOptions } from '@microsoft/microsoft-graph-client';
import { createSecureContext } from 'node:tls';
import { Agent } from 'undici';
import { caListWith } from './credential';
import { SharedTokenCredential } from './token-cache';
import { ResponseStatusHandler } from './response-status';
import { UndiciSender } from './sender';

export const GRAPH_PUBLIC_BASE_URL = 'https://graph.microsoft.com/';
/** Hosts the Graph client already treats as Graph (it attaches the token to https URLs on these and on customHosts). */
const KNOWN_GRAPH_HOSTS = new Set(['graph.microsoft.com', 'graph.microsoft.us', 'dod-graph.microsoft.us', 'microsoftgraph.chinacloudapi.cn', 'canary.graph.microsoft.com']);

export interface GraphClientSettings {
  readonly credential: TokenCredential;
  /** Graph root, with a trailing slash; default https://graph.microsoft.com/. National clouds and the sandbox set it. */
  readonly baseUrl?: string;
  /** Default: `<baseUrl origin>/.default`. */
  readonly scopes?: readonly string[];
  /** A CA (PEM) to trust in addition to the system roots. Only for the sandbox. */
  readonly extraCaPem?: string;
}

/**
 * The Microsoft Graph client the Intune gateway (gateway.ts), the Graph mail transport and the doctor send through.
 * It has no calls of its own: every product call is made by its caller with graphRequest (call.ts), explicitly
 * versioned and never resent by the client's RetryHandler.
 */
export interface GraphClient {
  readonly client: Client;
  /** Makes sure a token is at hand (shared by every concurrent call), so that a budgeted call is sent when admitted. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The access token for every request, from the shared credential. It answers as the client's
 * TokenCredentialAuthenticationProvider does, errors included, but builds an error only when there is one: that
 * provider creates a GraphClientError, with its stack, on every request in case it needs one.
 */
function tokenProvider(credential: TokenCredential, scopes: string[]): AuthenticationProvider {
  return {
    async getAccessToken() {
      if (scopes.length === 0) {
        const error = new GraphClientError('Scopes cannot be empty, Please provide scopes');
        error.name = 'Empty Scopes';
        throw error;
      }
      const token = await credential.getToken(scopes);
      if (token !== null) return token.token;
      const error = new GraphClientError('Cannot retrieve accessToken from the Token Credential object');
      error.name = 'Access token is undefined';
      throw error;
    },
  };
}

export function createGraphClient(settings: GraphClientSettings): GraphClient {
  const baseUrl = settings.baseUrl ?? GRAPH_PUBLIC_BASE_URL;
  const base = new URL(baseUrl);
  if (base.protocol !== 'https:') throw new Error('the Graph base URL must be https: the client sends no token elsewhere');
  const scopes = [...(settings.scopes ?? [`${base.origin}/.default`])];
  // One TLS context for every connection: given only `ca`, each new connection would parse the whole CA list again.
  const dispatcher = settings.extraCaPem === undefined ? undefined : new Agent({ connect: { secureContext: createSecureContext({ ca: caListWith(settings.extraCaPem) }) } });
  // Node's fetch takes an undici `dispatcher`; the client's FetchOptions typing (DOM RequestInit) does not declare it.
  const fetchOptions = dispatcher === undefined ? undefined : ({ dispatcher } as unknown as ClientOptions['fetchOptions']);

  const credential = new SharedTokenCredential(settings.credential);
  // The client's default chain (authentication, retry, redirect, telemetry), then the handler that notes each answer's
  // status for the metrics, then the sender: undici's request in place of the client's fetch (sender.ts).
  const middleware = MiddlewareFactory.getDefaultMiddlewareChain(tokenProvider(credential, scopes));
  middleware.splice(middleware.length - 1, 1, new ResponseStatusHandler(), new UndiciSender());
  const options: ClientOptions = {
    middleware,
    baseUrl: baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`,
    defaultVersion: 'v1.0',
    ...(KNOWN_GRAPH_HOSTS.has(base.hostname) ? {} : { customHosts: new Set([base.hostname]) }),
    ...(fetchOptions === undefined ? {} : { fetchOptions }),
  };
  const client = Client.initWithMiddleware(options);
  return {
    client,
    async ready() {
      await credential.getToken(scopes);
    },
    async close() {
      await dispatcher?.close();
    },
  };
}
