/**
 * The simulated Graph's front door, for both /v1.0 and /beta: record the call, apply injected faults, authenticate,
 * authorize, throttle, then run the route. "Response lost" faults run the route (the effect happens) and then
 * destroy the connection before a byte of the response is written.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { GraphCallRecord, SandboxControl } from '../control';
import { GraphHttpError, graphErrorBody, matchRoute, type GraphResult, type GraphRoute, type GraphVersion } from './route';

export interface GraphDispatchOptions {
  readonly control: SandboxControl;
  readonly routes: readonly GraphRoute[];
  /** The sandbox origin, e.g. https://127.0.0.1:4443. Tokens for it or for https://graph.microsoft.com are accepted. */
  readonly origin: () => string;
  /** Aborted when the sandbox closes, so injected latency never outlives it. */
  readonly signal: AbortSignal;
}

const JSON_TYPE = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
/**
 * The `message` of an error from Intune's services behind Graph: a JSON document in a string (indented, CRLF), with
 * an Operation ID and an Activity ID for Microsoft support (DOMAIN.md §2; users' reports quote it whole:
 * microsoftgraph/microsoft-graph-docs-contrib#4603 (InternalError on a managedDevice), #4523 (BadRequest on remoteLock)).
 */
function intuneMessage(activityId: string): string {
  const operationId = '00000000-0000-0000-0000-000000000000';
  const body = JSON.stringify({
    _version: 3,
    Message: `An error has occurred - Operation ID (for customer support): ${operationId} - Activity ID: ${activityId} - Url: https://fef.amsua0102.manage.microsoft.com/DeviceFE/StatelessDeviceFEService/deviceManagement/managedDevices - CustomApiErrorPhrase: `,
    CustomApiErrorPhrase: '',
    RetryAfter: null,
    ErrorSourceService: '',
    HttpHeaders: '{}',
  }, null, 2);
  return body.replaceAll('\n', '\r\n');
}

const STATUS_FAULTS: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'InvalidAuthenticationToken',
  403: 'Forbidden',
  404: 'ResourceNotFound',
  409: 'Conflict',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};
const TOKEN_MESSAGES = {
  missing: 'Access token is empty.',
  malformed: 'IDX14100: JWT is not well formed.',
  unknown: 'Access token validation failure. Invalid token.',
  expired: 'Lifetime validation failed, the token is expired.',
  audience: 'Access token validation failure. Invalid audience.',
} as const;

function destroyConnection(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.hijack();
  request.raw.socket.destroy();
  return reply;
}

export function registerGraph(app: FastifyInstance, options: GraphDispatchOptions): void {
  const { control, routes } = options;

  // Graph accepts POSTs with an empty JSON body (resetPasscode has none).
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new GraphHttpError(400, 'BadRequest', 'Unable to read JSON request payload.'), undefined);
    }
  });

  /** `text`, when given, is sent as the body as it is (a `body` fault's), instead of the result's JSON. */
  const send = (request: FastifyRequest, reply: FastifyReply, record: GraphCallRecord, result: GraphResult, text?: string): FastifyReply => {
    const clientRequestId = request.headers['client-request-id'];
    void reply.header('request-id', randomUUID());
    if (typeof clientRequestId === 'string') void reply.header('client-request-id', clientRequestId);
    for (const [name, value] of Object.entries(result.headers ?? {})) void reply.header(name, value);
    record.outcome = result.status;
    void reply.code(result.status);
    if (text !== undefined) return reply.type(JSON_TYPE).send(text);
    if (result.body === undefined) return reply.send();
    return reply.type(JSON_TYPE).send(JSON.stringify(result.body));
  };

  // A `body` fault: the route's status (200 for a 204) and headers, with the fault's body in place of the route's own.
  const sendBody = (request: FastifyRequest, reply: FastifyReply, record: GraphCallRecord, result: GraphResult, fault: { readonly json?: unknown; readonly text?: string }): FastifyReply => {
    const status = result.status === 204 ? 200 : result.status;
    return send(request, reply, record, { ...result, status, body: fault.json }, fault.text);
  };

  const errorResult = (request: FastifyRequest, e: GraphHttpError): GraphResult => {
    const clientRequestId = request.headers['client-request-id'];
    const requestId = randomUUID();
    const body = graphErrorBody(e.code, e.message, requestId, typeof clientRequestId === 'string' ? clientRequestId : undefined, control.clock.now());
    return { status: e.status, body, headers: { ...e.headers, 'request-id': requestId } };
  };
  const error = (request: FastifyRequest, reply: FastifyReply, record: GraphCallRecord, e: GraphHttpError): FastifyReply => send(request, reply, record, errorResult(request, e));

  app.setErrorHandler((e: Error & { statusCode?: number }, request, reply) => {
    const record: GraphCallRecord = { at: control.clock.now(), method: request.method, path: request.url.split('?')[0] ?? '', query: '', outcome: 'pending' };
    control.calls.push(record);
    const graphError = e instanceof GraphHttpError ? e : new GraphHttpError(e.statusCode ?? 500, (e.statusCode ?? 500) < 500 ? 'BadRequest' : 'InternalServerError', (e.statusCode ?? 500) < 500 ? e.message : 'An internal error occurred.');
    return error(request, reply, record, graphError);
  });

  const handle = async (version: GraphVersion, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const url = new URL(request.url, 'https://sandbox.invalid');
    const record: GraphCallRecord = { at: control.clock.now(), method: request.method, path: '', query: url.search.slice(1), outcome: 'pending' };
    control.calls.push(record);
    let segments: string[];
    try {
      segments = url.pathname.split('/').slice(2).map((s) => decodeURIComponent(s));
    } catch {
      return error(request, reply, record, new GraphHttpError(400, 'BadRequest', 'The request URL is not valid.'));
    }
    record.path = `/${version}/${segments.join('/')}`;

    const plan = control.faults.plan(request.method, record.path);
    if (plan.latencyMs > 0) await delay(plan.latencyMs, undefined, { signal: options.signal }).catch(() => undefined);
    if (plan.fault?.kind === 'reset') {
      record.outcome = 'reset';
      return destroyConnection(request, reply);
    }
    if (plan.fault?.kind === 'status') {
      const retryAfter = plan.fault.retryAfterSeconds === undefined ? 1 : plan.fault.retryAfterSeconds;
      const headers: Record<string, string> = (plan.fault.status === 429 || plan.fault.status === 503) && retryAfter !== null ? { 'Retry-After': String(retryAfter) } : {};
      // Intune's own services answer with a `message` that is itself a JSON string (DOMAIN.md §2).
      const message = segments[0] === 'deviceManagement' ? intuneMessage(randomUUID()) : 'Injected by the sandbox.';
      return error(request, reply, record, new GraphHttpError(plan.fault.status, STATUS_FAULTS[plan.fault.status] ?? 'UnknownError', message, headers));
    }
    if (plan.fault?.kind === 'redirect') {
      record.outcome = plan.fault.status;
      return reply.code(plan.fault.status).header('location', plan.fault.location).send();
    }

    const candidates = routes.map((route) => ({ route, params: matchRoute(route, segments) })).filter((c) => c.params !== undefined);
    const found = candidates.find((c) => c.route.method === request.method);
    if (found?.params === undefined) {
      if (candidates.length > 0) return error(request, reply, record, new GraphHttpError(405, 'Request_BadRequest', `The HTTP method '${request.method}' is not allowed for this resource.`));
      return error(request, reply, record, new GraphHttpError(400, 'BadRequest', `Resource not found for the segment '${segments[0] ?? ''}'.`));
    }
    const { route, params } = found;

    const check = control.tokens.check(request.headers.authorization, ['https://graph.microsoft.com', options.origin()]);
    if (!check.ok) {
      return error(request, reply, record, new GraphHttpError(401, 'InvalidAuthenticationToken', TOKEN_MESSAGES[check.reason], { 'WWW-Authenticate': 'Bearer realm="", error="invalid_token"' }));
    }
    const token = check.token;
    record.appId = token.appId;
    // A route with no permissions listed checks its own (sendMail: Exchange RBAC for Applications is not in the token).
    if (route.permissions.length > 0 && !route.permissions.some((p) => token.roles.includes(p))) {
      return error(request, reply, record, new GraphHttpError(403, route.forbidden.code, route.forbidden.message));
    }
    if (route.throttle !== undefined) {
      const decision = control.throttle.admit(token.tenantId, token.appId, route.throttle);
      if (!decision.admitted) {
        const headers = { 'Retry-After': String(decision.retryAfterSeconds) };
        return error(request, reply, record, new GraphHttpError(429, 'TooManyRequests', 'Too many requests. Please retry after the time given in Retry-After.', headers));
      }
    }
    const unknownOption = [...url.searchParams.keys()].find((k) => k.startsWith('$') && !(route.queryOptions ?? []).includes(k));
    if (unknownOption !== undefined) return error(request, reply, record, new GraphHttpError(400, 'BadRequest', `Query option '${unknownOption}' is not supported here.`));

    let result: GraphResult;
    try {
      result = await route.handle({ control, version, params, query: url.searchParams, token, body: request.body, origin: options.origin() });
    } catch (e) {
      if (!(e instanceof GraphHttpError)) throw e;
      result = errorResult(request, e);
    }
    if (plan.fault?.kind === 'lostResponse') {
      record.outcome = 'lostResponse';
      return destroyConnection(request, reply);
    }
    if (plan.fault?.kind === 'body') return sendBody(request, reply, record, result, plan.fault);
    return send(request, reply, record, result);
  };

  for (const version of ['v1.0', 'beta'] as const) {
    app.all(`/${version}/*`, (request, reply) => handle(version, request, reply));
  }
}
