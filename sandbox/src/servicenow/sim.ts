/**
 * createServiceNowSim: a simulated ServiceNow instance as a plain Node request handler, so any HTTP(S) server can mount
 * it at its root or under a path prefix. It serves `/api/now/table/…` and `/oauth_token.do` (under the prefix).
 *
 * Order of checks for a Table API call: record the call → injected faults (latency, reset, status) → authentication
 * → rate limit (rate-limit rules count an authenticated user's calls) → the route. A `lostResponse` fault lets the route take effect, then destroys the connection.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { setTimeout as delay } from 'node:timers/promises';
import { systemClock, type SandboxClock } from '../clock';
import { ServiceNowAuth } from './auth';
import { ServiceNowControl, type ServiceNowCallRecord } from './control';
import { seedFixtures } from './fixtures';
import { emptyState, type ServiceNowState } from './model';
import { TableApiError } from './query';
import { addUser } from './seed';
import { handleTableRequest } from './table-api';

export interface ServiceNowSimOptions {
  /** Mount prefix such as `/servicenow` (no trailing slash); default '' (the root). */
  readonly pathPrefix?: string;
  /** Seed the fixture users, incident, requested item and approval; default true. */
  readonly fixtures?: boolean;
  readonly clock?: SandboxClock;
  readonly random?: () => number;
  /** The integration account; default user `resetpc.integration` with a random password. */
  readonly basic?: { readonly username?: string; readonly password?: string };
  /** The OAuth client; default a random 32-hex client id and secret, acting as the integration user. */
  readonly oauth?: { readonly clientId?: string; readonly clientSecret?: string };
  /** Access token lifetime; default 1800 s. */
  readonly tokenLifetimeSeconds?: number;
  /** Requested item state value → label; default the out-of-the-box states. */
  readonly reqItemStates?: Readonly<Record<string, string>>;
}

export interface ServiceNowSim {
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** True for the paths this handler serves (for a server that mounts several handlers). */
  handles(pathname: string): boolean;
  readonly state: ServiceNowState;
  readonly control: ServiceNowControl;
  /** The integration account and OAuth client, for the product's configuration in sandbox mode. */
  readonly credentials: {
    readonly basic: { readonly username: string; readonly password: string };
    readonly oauth: { readonly clientId: string; readonly clientSecret: string };
  };
  /** Cuts short any injected latency still running. */
  close(): void;
}

const MAX_BODY_BYTES = 1024 * 1024;
const JSON_TYPE = 'application/json;charset=UTF-8';

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  sendText(res, status, JSON.stringify(body), headers);
}

/** A body sent as it is under the JSON content type (a `body` fault's: any JSON, or text that is not JSON). */
function sendText(res: ServerResponse, status: number, text: string, headers: Readonly<Record<string, string>> = {}): void {
  res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, e: TableApiError): void {
  sendJson(res, e.status, { error: { message: e.message, detail: e.detail }, status: 'failure' }, e.headers);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new TableApiError(413, 'Request entity too large', null);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const STATUS_FAULT_MESSAGES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'User Not Authenticated',
  403: 'Operation Failed',
  404: 'No Record found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function createServiceNowSim(options: ServiceNowSimOptions = {}): ServiceNowSim {
  const prefix = options.pathPrefix ?? '';
  if (prefix !== '' && !/^(\/[A-Za-z0-9._-]+)+$/.test(prefix)) throw new Error('pathPrefix is like /servicenow, without a trailing slash');
  const clock = options.clock ?? systemClock;
  const state = emptyState();
  if (options.reqItemStates !== undefined) state.reqItemStates = { ...options.reqItemStates };
  const credentials = {
    basic: { username: options.basic?.username ?? 'resetpc.integration', password: options.basic?.password ?? randomBytes(18).toString('base64url') },
    oauth: { clientId: options.oauth?.clientId ?? randomBytes(16).toString('hex'), clientSecret: options.oauth?.clientSecret ?? randomBytes(18).toString('base64url') },
  };
  addUser(state, { user_name: credentials.basic.username, name: 'ResetPC Integration', password: credentials.basic.password }, clock.now());
  state.oauthClients.push({ ...credentials.oauth, userName: credentials.basic.username });
  if (options.fixtures ?? true) seedFixtures(state, clock.now());

  const auth = new ServiceNowAuth(state, clock, options.tokenLifetimeSeconds ?? 1800);
  const control = new ServiceNowControl(state, clock, auth, options.random);
  const closing = new AbortController();

  const handles = (pathname: string): boolean => {
    if (!pathname.startsWith(`${prefix}/`)) return false;
    const rest = pathname.slice(prefix.length);
    return rest.startsWith('/api/now/') || rest === '/oauth_token.do';
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    if (!handles(url.pathname)) throw new TableApiError(400, 'Requested URI does not represent any resource', null);
    const rawPath = url.pathname.slice(prefix.length);
    const scheme = (req.socket as Partial<TLSSocket>).encrypted === true ? 'https' : 'http';
    const baseUrl = `${scheme}://${req.headers.host ?? '127.0.0.1'}${prefix}`;
    const raw = await readBody(req);

    if (rawPath === '/oauth_token.do') {
      if (method !== 'POST') throw new TableApiError(405, 'Method not Supported', null);
      // Status faults apply to the token endpoint too (path /oauth_token.do); the request body holds a secret: not recorded.
      const tokenFault = control.faults.plan(method, rawPath).fault;
      if (tokenFault?.kind === 'status') {
        const headers: Record<string, string> = tokenFault.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(tokenFault.retryAfterSeconds) };
        throw new TableApiError(tokenFault.status, STATUS_FAULT_MESSAGES[tokenFault.status] ?? 'Error', 'Injected by the sandbox', headers);
      }
      const answer = auth.token(raw, req.headers.authorization);
      sendJson(res, answer.status, answer.body);
      return;
    }

    let segments: string[];
    try {
      segments = rawPath.split('/').slice(1).map((s) => decodeURIComponent(s));
    } catch {
      throw new TableApiError(400, 'Requested URI does not represent any resource', null);
    }
    const path = `/${segments.join('/')}`;
    let body: unknown;
    if (raw.trim() !== '') {
      try {
        body = JSON.parse(raw) as unknown;
      } catch {
        body = raw;
      }
    }
    const record: ServiceNowCallRecord = { at: clock.now(), method, path, query: url.search.slice(1), status: 'pending' };
    control.calls.push(record);
    if (method !== 'GET' && method !== 'HEAD') control.writes.push(Object.assign(record, { body }));
    const reply = (status: number, send: () => void): void => {
      record.status = status;
      send();
    };

    const plan = control.faults.plan(method, path);
    if (plan.latencyMs > 0) await delay(plan.latencyMs, undefined, { signal: closing.signal }).catch(() => undefined);
    if (plan.fault?.kind === 'reset') {
      record.status = 'reset';
      req.socket.destroy();
      return;
    }
    if (plan.fault?.kind === 'status') {
      const { status } = plan.fault;
      const headers: Record<string, string> = status === 429 || status === 503 ? { 'Retry-After': String(plan.fault.retryAfterSeconds ?? 1) } : {};
      const error = new TableApiError(status, STATUS_FAULT_MESSAGES[status] ?? 'Error', 'Injected by the sandbox', headers);
      reply(status, () => { sendError(res, error); });
      return;
    }
    if (plan.fault?.kind === 'redirect') {
      const { status, location } = plan.fault;
      reply(status, () => { res.writeHead(status, { location }).end(); });
      return;
    }
    if (segments[0] !== 'api' || segments[1] !== 'now' || segments[2] !== 'table') {
      throw new TableApiError(400, 'Requested URI does not represent any resource', null);
    }
    const user = auth.authenticate(req.headers.authorization);
    if (user === undefined) {
      const error = new TableApiError(401, 'User Not Authenticated', 'Required to provide Auth information', { 'WWW-Authenticate': 'Basic realm="Service-now"' });
      reply(401, () => { sendError(res, error); });
      return;
    }
    record.user = user;
    const admission = control.admit(user);
    if (!admission.ok) {
      // Docs, "Inbound REST API rate limiting": 429 with Retry-After, X-RateLimit-Limit / -Reset / -Rule (the rule's
      // sys_id), and the body {"error":{"message":"Rate limit exceeded","detail":"Rate limit of N requests per hour for
      // Table API exceeded"},"status":"failure"}.
      const error = new TableApiError(429, 'Rate limit exceeded', `Rate limit of ${admission.limit} requests per hour for Table API exceeded`, {
        'Retry-After': String(admission.retryAfterSeconds),
        'X-RateLimit-Limit': String(admission.limit),
        'X-RateLimit-Reset': String(Math.ceil(admission.resetAt / 1000)),
        'X-RateLimit-Rule': admission.rule,
      });
      reply(429, () => { sendError(res, error); });
      return;
    }
    let result: { status: number; body: unknown; headers?: Readonly<Record<string, string>> };
    try {
      result = handleTableRequest(state, { method, segments: segments.slice(3), params: url.searchParams, body, user, baseUrl, now: clock.now() });
    } catch (e) {
      if (!(e instanceof TableApiError)) throw e;
      result = { status: e.status, body: { error: { message: e.message, detail: e.detail }, status: 'failure' }, headers: e.headers };
    }
    if (plan.fault?.kind === 'lostResponse') {
      record.status = 'lostResponse';
      req.socket.destroy();
      return;
    }
    if (plan.fault?.kind === 'body') {
      // The route took effect; its status (200 for a 204) with the fault's body instead of its own.
      const { json, text } = plan.fault;
      const status = result.status === 204 ? 200 : result.status;
      reply(status, () => { sendText(res, status, text ?? JSON.stringify(json), result.headers); });
      return;
    }
    reply(result.status, () => { sendJson(res, result.status, result.body, result.headers); });
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // Never echo internals: an unexpected error is a plain 500.
      sendError(res, e instanceof TableApiError ? e : new TableApiError(500, 'Internal Server Error', null));
    });
  };

  return { handler, handles, state, control, credentials, close: () => { closing.abort(); } };
}
