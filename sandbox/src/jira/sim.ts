/**
 * createJiraSim: a simulated Jira Cloud site as a plain Node request handler, so any server can mount it at the root
 * or under a prefix. The front door records the request, applies injected faults, checks Basic `email:api_token`,
 * applies the rate limit, parses the JSON body and runs the route. A "response lost" fault runs the route (the effect
 * happens) and then destroys the connection before a byte is written.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { SandboxClock } from '../clock';
import { JiraSimControl, type JiraRequestRecord } from './control';
import { JiraSimError, errorBody, jiraRoutes, type JiraSimRoute, type RouteResult } from './routes';
import { createJiraFixtures, type JiraSimAccount, type JiraSimState } from './state';

export interface JiraSimOptions {
  /** The site to serve; default: the fixtures (createJiraFixtures) with `apiToken`. */
  readonly state?: JiraSimState;
  /** The fixture bot's API token when `state` is not given; default: random. */
  readonly apiToken?: string;
  /** Where the site is mounted, e.g. '/jira' (then the API is /jira/rest/…); default '' (the root). */
  readonly basePath?: string;
  readonly clock?: SandboxClock;
  /** Random source for fault probabilities. */
  readonly random?: () => number;
  /** Aborting it cuts injected latency short, so a closing server never waits on it. */
  readonly signal?: AbortSignal;
}

export interface JiraSim {
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  readonly state: JiraSimState;
  readonly control: JiraSimControl;
  /** The first account that has an API token (the fixtures' bot), for clients and examples. */
  readonly credentials: { readonly email: string; readonly apiToken: string } | undefined;
}

const BODY_LIMIT = 1024 * 1024;
const UNAUTHENTICATED = 'Client must be authenticated to access this resource.';

const sha = (s: string): Buffer => createHash('sha256').update(s).digest();

/** The account whose email and API token match the Basic credentials, compared in constant time. */
function authenticate(state: JiraSimState, header: string | undefined): JiraSimAccount | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header?.trim() ?? '');
  if (match?.[1] === undefined) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) return undefined;
  const email = decoded.slice(0, colon).toLowerCase();
  const token = sha(decoded.slice(colon + 1));
  return state.accounts.find((a) => a.apiToken !== undefined && a.emailAddress.toLowerCase() === email && timingSafeEqual(sha(a.apiToken), token));
}

function matchPath(template: string, segments: readonly string[]): Record<string, string> | undefined {
  const parts = template.split('/');
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of parts.entries()) {
    const segment = segments[i] ?? '';
    if (part.startsWith('{')) {
      if (segment === '') return undefined;
      params[part.slice(1, -1)] = segment;
    } else if (part !== segment) return undefined;
  }
  return params;
}

async function readBody(req: IncomingMessage): Promise<Buffer | 'tooLarge'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT) return 'tooLarge';
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function rateHeaders(control: JiraSimControl, remaining: number): Record<string, string> {
  const limit = control.rateLimit;
  if (limit === undefined) return {};
  return { 'X-RateLimit-Limit': String(limit.maxRequests), 'X-RateLimit-Remaining': String(remaining), 'X-RateLimit-NearLimit': String(remaining < limit.maxRequests * 0.2) };
}

/** Headers of a 429, as Jira sends them: Retry-After in seconds, X-RateLimit-Reset as yyyy-MM-ddTHH:mmZ. */
function tooManyHeaders(control: JiraSimControl, retryAfterSeconds: number): Record<string, string> {
  const resetAt = new Date(control.clock.now() + retryAfterSeconds * 1000).toISOString().slice(0, 16);
  return { 'Retry-After': String(retryAfterSeconds), 'X-RateLimit-Limit': String(control.rateLimit?.maxRequests ?? 100), 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': `${resetAt}Z`, 'X-RateLimit-NearLimit': 'true', 'RateLimit-Reason': 'jira-burst-based' };
}

export function createJiraSim(options: JiraSimOptions = {}): JiraSim {
  const clock = options.clock;
  const state = options.state ?? createJiraFixtures({ apiToken: options.apiToken ?? randomBytes(18).toString('base64url'), ...(clock === undefined ? {} : { now: clock.now() }) });
  const control = new JiraSimControl(state, clock, options.random);
  const base = (options.basePath ?? '').replace(/\/+$/, '');
  const bot = state.accounts.find((a) => a.apiToken !== undefined);

  // Each answer returns `true`, so the front door can `return` it.
  // `text`, when given, is sent as the body as it is (a `body` fault's), instead of the result's JSON.
  const send = (res: ServerResponse, record: JiraRequestRecord, result: RouteResult, text?: string): true => {
    record.outcome = result.status;
    res.statusCode = result.status;
    res.setHeader('X-AREQUESTID', randomUUID());
    for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
    if (text === undefined && result.body === undefined) {
      res.end();
      return true;
    }
    res.setHeader('Content-Type', 'application/json;charset=UTF-8');
    res.end(text ?? JSON.stringify(result.body));
    return true;
  };
  const fail = (res: ServerResponse, record: JiraRequestRecord, api: JiraSimRoute['api'], e: JiraSimError, headers: Record<string, string> = {}): true => {
    return send(res, record, { status: e.status, body: errorBody(api, e), headers });
  };
  const destroy = (res: ServerResponse, record: JiraRequestRecord, outcome: 'reset' | 'lostResponse'): true => {
    record.outcome = outcome;
    res.socket?.destroy();
    return true;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<true> => {
    const url = new URL(req.url ?? '/', 'http://jira.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const record: JiraRequestRecord = { at: control.clock.now(), method, path: url.pathname, query: url.search.slice(1), outcome: 'pending' };
    control.requests.push(record);
    if (!url.pathname.startsWith(`${base}/rest/`)) return fail(res, record, 'platform', new JiraSimError(404, 'Not found'));
    let segments: string[];
    try {
      segments = url.pathname.slice(base.length + 1).split('/').map((s) => decodeURIComponent(s));
    } catch {
      return fail(res, record, 'platform', new JiraSimError(400, 'The request URL is not valid.'));
    }
    record.path = `/${segments.join('/')}`;
    const raw = method === 'GET' || method === 'HEAD' ? Buffer.alloc(0) : await readBody(req);
    if (raw === 'tooLarge') return fail(res, record, 'platform', new JiraSimError(413, 'The request body is too large.'));

    const plan = control.faults.plan(method, record.path);
    if (plan.latencyMs > 0) await delay(plan.latencyMs, undefined, options.signal === undefined ? {} : { signal: options.signal }).catch(() => undefined);
    if (plan.fault?.kind === 'reset') return destroy(res, record, 'reset');
    if (plan.fault?.kind === 'status') {
      const { status, retryAfterSeconds } = plan.fault;
      const headers = status === 429 ? tooManyHeaders(control, retryAfterSeconds ?? 1) : retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) };
      const message = status === 429 ? 'Rate limit exceeded.' : 'Injected by the sandbox.';
      return fail(res, record, 'platform', new JiraSimError(status, message), headers);
    }
    if (plan.fault?.kind === 'redirect') {
      record.outcome = plan.fault.status;
      res.writeHead(plan.fault.status, { location: plan.fault.location }).end();
      return true;
    }

    const candidates = jiraRoutes.map((route) => ({ route, params: matchPath(route.path, segments) })).filter((c) => c.params !== undefined);
    const found = candidates.find((c) => c.route.method === method);
    if (found?.params === undefined) {
      const status = candidates.length > 0 ? 405 : 404;
      return fail(res, record, 'platform', new JiraSimError(status, status === 405 ? `Method ${method} is not allowed here.` : `null for uri: ${record.path}`));
    }
    const { route, params } = found;
    const caller = authenticate(state, req.headers.authorization);
    if (caller === undefined) return fail(res, record, route.api, new JiraSimError(401, UNAUTHENTICATED), { 'WWW-Authenticate': 'Basic realm="protected-area"' });
    record.account = caller.emailAddress;
    const rate = control.admit(caller.emailAddress);
    if (!rate.admitted) return fail(res, record, route.api, new JiraSimError(429, 'Rate limit exceeded.'), tooManyHeaders(control, rate.retryAfterSeconds));

    let body: unknown;
    if (method !== 'GET' && raw.length > 0) {
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return fail(res, record, route.api, new JiraSimError(415, 'Unsupported Media Type'));
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        record.body = raw.toString('utf8').slice(0, 4096);
        return fail(res, record, route.api, new JiraSimError(400, 'Unexpected character in the JSON body.'));
      }
      record.body = body;
    }

    let result: RouteResult;
    try {
      result = route.handle({ control, params, query: url.searchParams, body, caller, path: record.path });
    } catch (e) {
      if (!(e instanceof JiraSimError)) throw e;
      return fail(res, record, route.api, e, rateHeaders(control, rate.remaining));
    }
    if (plan.fault?.kind === 'lostResponse') return destroy(res, record, 'lostResponse');
    const answered = { ...result, headers: { ...rateHeaders(control, rate.remaining), ...result.headers } };
    if (plan.fault?.kind === 'body') {
      // The route took effect; its status (200 for a 204) with the fault's body instead of its own.
      const { json, text } = plan.fault;
      return send(res, record, { ...answered, status: answered.status === 204 ? 200 : answered.status }, text ?? JSON.stringify(json));
    }
    return send(res, record, answered);
  };

  return {
    state,
    control,
    credentials: bot?.apiToken === undefined ? undefined : { email: bot.emailAddress, apiToken: bot.apiToken },
    handler: (req, res) => {
      handle(req, res).catch(() => {
        if (res.headersSent) res.socket?.destroy();
        else {
          res.statusCode = 500;
          res.setHeader('Content-Type', 'application/json;charset=UTF-8');
          res.end(JSON.stringify({ errorMessages: ['Internal server error'], errors: {} }));
        }
      });
    },
  };
}
