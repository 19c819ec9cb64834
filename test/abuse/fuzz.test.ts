import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { createTestIntake, JIRA_SECRET, SERVICENOW_SECRET, type TestIntake } from '../support/intake';
import { startSandbox, type Sandbox } from '@resetpc/sandbox';
import { sandboxTicketReader } from '../../src/bin/embedded-sandbox';
import { deferredTicketReader } from '../../src/ticketing/ticket-facts';
import {
  authChoice,
  contentType,
  extraHeaders,
  hmacHex,
  idSegment,
  jiraBody,
  listQuery,
  payloadOf,
  rawPayload,
  resetBody,
  serviceNowBody,
  signing,
  anyJson,
  fieldValue,
  nastyString,
  type Signing,
} from './arbitraries';

/**
 * Property-based fuzzing of every intake route through app.inject on the real app and a real Redis.
 * FUZZ_RUNS (default 10,000) is the total number of generated requests, shared between the routes; FUZZ_SEED
 * replays a failing run (fast-check prints the seed and the shrunk counterexample).
 * For every request: no 5xx, an x-request-id, and every error in the documented shape { error: { code, message } }.
 * Every status is one the OpenAPI document declares for the route (or the not_found of a URL that matches no route,
 * or the bad_url of a URL that cannot be decoded; fuzz-findings.test.ts).
 * After each route: nothing was queued or stored except for the requests answered 202, and no error was logged.
 */
const TOTAL = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const SHARE = { create: 0.28, list: 0.08, get: 0.07, actions: 0.12, notifications: 0.06, tenants: 0.09, jira: 0.14, servicenow: 0.14, metrics: 0.02 } as const;
const runsFor = (route: keyof typeof SHARE): number => Math.max(1, Math.ceil(TOTAL * SHARE[route]));
const params = (route: keyof typeof SHARE): fc.Parameters<unknown> => ({ numRuns: runsFor(route), ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: false });


interface OpenApiDoc {
  readonly paths: Record<string, Record<string, { readonly responses: Record<string, unknown> }>>;
}

type Auth = { kind: 'token'; name: 'submitter' | 'approver' | 'operator' | 'admin' | 'integration' } | { kind: 'none' } | { kind: 'raw'; header: string };

describe('fuzzing every intake route', () => {
  let intake: TestIntake;
  /** Request ids answered 202: the only requests that may exist. */
  const accepted = new Set<string>();
  let requests = 0;
  /** status → count, per route: the fuzzing must reach past authentication and the schemas, not only bounce off. */
  const seen = new Map<string, Map<number, number>>();
  /** `METHOD /template status` answers the OpenAPI document does not declare. */
  const undeclared = new Set<string>();
  let openApi: OpenApiDoc;

  /** The simulated ServiceNow and Jira that cited tickets are read from. */
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startSandbox();
    const tickets = deferredTicketReader();
    intake = await createTestIntake('fuzz', { RATE_LIMIT_MAX: '1000000', LOG_LEVEL: 'info' }, undefined, { tickets });
    tickets.bind(sandboxTicketReader(intake.config, sandbox));
    openApi = (intake.app as unknown as { swagger(): OpenApiDoc }).swagger();
  });

  afterAll(async () => {
    await intake.close();
    await sandbox.close();
  });

  afterAll(() => {
    process.stdout.write(`fuzzed ${requests} requests; statuses by route: ${JSON.stringify(Object.fromEntries([...seen].map(([r, t]) => [r, Object.fromEntries(t)])))}; undeclared in the OpenAPI document: ${JSON.stringify([...undeclared].sort())}\n`);
    // The issue asks for at least 10,000 generated bodies and headers with the default settings.
    if (process.env.FUZZ_RUNS === undefined) expect(requests).toBeGreaterThanOrEqual(10_000);
  });

  function authHeader(auth: Auth): Record<string, string> {
    if (auth.kind === 'token') return intake.auth(auth.name);
    if (auth.kind === 'raw') return { authorization: auth.header };
    return {};
  }

  function headersOf(auth: Auth, type: string | undefined, extra: Record<string, string>): Record<string, string> {
    return { ...extra, ...authHeader(auth), ...(type === undefined ? {} : { 'content-type': type }) };
  }

  /** The checks every answer must pass, whatever was sent. */
  function expectSane(res: LightMyRequestResponse, what: string, route: string = what): void {
    requests += 1;
    const tally = seen.get(route) ?? new Map<number, number>();
    tally.set(res.statusCode, (tally.get(res.statusCode) ?? 0) + 1);
    seen.set(route, tally);
    if (res.statusCode >= 500) throw new Error(`${what} → ${res.statusCode}: ${res.body.slice(0, 300)}`);
    expect(res.headers['x-request-id']).toEqual(expect.any(String));
    if (res.statusCode >= 400) {
      expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
      const body = res.json<{ error?: { code?: unknown; message?: unknown } }>();
      if (typeof body.error?.code !== 'string' || body.error.code === '' || typeof body.error.message !== 'string') {
        throw new Error(`${what} → ${res.statusCode} without the documented error shape: ${res.body.slice(0, 300)}`);
      }
    }
  }

  /** The status must be declared for the route, unless the URL matched no route at all, or could not be decoded. */
  function expectDeclared(res: LightMyRequestResponse, method: string, template: string): void {
    const operation = openApi.paths[template]?.[method.toLowerCase()];
    if (operation === undefined) throw new Error(`the OpenAPI document has no ${method} ${template}`);
    if (res.statusCode === 404 && res.json<{ error: { message: string } }>().error.message.startsWith('No route for')) return;
    if (res.statusCode === 400 && res.json<{ error: { code: string } }>().error.code === 'bad_url') return;
    if (!Object.hasOwn(operation.responses, String(res.statusCode))) undeclared.add(`${method} ${template} ${String(res.statusCode)}`);
  }

  function noteAccepted(res: LightMyRequestResponse): void {
    if (res.statusCode !== 202) return;
    const id = res.json<{ id?: unknown }>().id;
    if (typeof id !== 'string') throw new Error(`202 without an id: ${res.body}`);
    accepted.add(id);
  }

  /** Nothing but the accepted requests is stored or queued, and no request made the app log an error. */
  async function expectOnlyAcceptedStored(): Promise<void> {
    const counts = await intake.queues.reset.getJobCounts();
    const jobs = Object.values(counts).reduce((a, b) => a + b, 0);
    expect(jobs).toBe(accepted.size);
    expect(await intake.redis.zcard(intake.store.keys.byCreated)).toBe(accepted.size);
    for (const id of accepted) expect(await intake.queues.reset.getJob(id)).toBeDefined();
    // Locks (device and ticket) and idempotency records exist only for accepted requests.
    expect((await intake.redis.keys(`${intake.prefix}:lock:*`)).length).toBeLessThanOrEqual(2 * accepted.size);
    expect((await intake.redis.keys(`${intake.prefix}:idempotency:*`)).length).toBeLessThanOrEqual(accepted.size);
    expect((await intake.redis.keys(`${intake.prefix}:request:*`)).filter((k) => !/:(timeline|links)$/.test(k)).length).toBe(accepted.size);
    const errors = intake.logs.filter((l) => typeof l.level === 'number' && l.level >= 50);
    expect(errors).toEqual([]);
  }

  it('POST /v1/resets', async () => {
    await fc.assert(
      fc.asyncProperty(resetBody, rawPayload, authChoice, contentType, extraHeaders, async (body, raw, auth, type, extra) => {
        const res = await intake.app.inject({ method: 'POST', url: '/v1/resets', headers: headersOf(auth, type, extra), payload: payloadOf(body, raw ?? undefined) });
        expectSane(res, 'POST /v1/resets', 'create');
        expectDeclared(res, 'POST', '/v1/resets');
        const cites = typeof body === 'object' && body !== null && !Array.isArray(body) && 'ticket' in body && raw === null;
        if (res.statusCode === 202) {
          // Only a submitter (or admin) with a valid body gets here: the body must have been valid JSON.
          expect(auth.kind === 'token' && ['submitter', 'integration', 'admin'].includes(auth.name)).toBe(true);
          if (cites) {
            // A ticket is cited only with the ticket role, and the request is the ticket's own: its device, its requester.
            expect(auth.kind === 'token' && (auth.name === 'integration' || auth.name === 'admin')).toBe(true);
            const stored = await intake.store.get(res.json<{ id: string }>().id);
            expect(stored?.request.source).not.toBe('api');
            expect(stored?.request.device).toEqual({ kind: 'serialNumber', value: 'R58M123ABC' });
            expect(stored?.request.requestedBy.toLowerCase()).toBe('anna@contoso.com');
          }
        }
        noteAccepted(res);
      }),
      params('create'),
    );
    await expectOnlyAcceptedStored();
  });

  it('GET /v1/resets (query strings)', async () => {
    await fc.assert(
      fc.asyncProperty(listQuery, authChoice, extraHeaders, async (query, auth, extra) => {
        const res = await intake.app.inject({ method: 'GET', url: `/v1/resets?${query}`, headers: headersOf(auth, undefined, extra) });
        expectSane(res, `GET /v1/resets?${query}`, 'list');
        expectDeclared(res, 'GET', '/v1/resets');
        if (res.statusCode === 200) expect(res.json<{ items: unknown[] }>().items).toEqual(expect.any(Array));
      }),
      params('list'),
    );
    await expectOnlyAcceptedStored();
  });

  it('GET /v1/resets/{id} (ids and path tricks)', async () => {
    await fc.assert(
      fc.asyncProperty(idSegment, authChoice, extraHeaders, async (id, auth, extra) => {
        const res = await intake.app.inject({ method: 'GET', url: `/v1/resets/${id}`, headers: headersOf(auth, undefined, extra) });
        expectSane(res, `GET /v1/resets/${id}`, 'get');
        expectDeclared(res, 'GET', '/v1/resets/{id}');
        expect(res.statusCode).not.toBe(200);
      }),
      params('get'),
    );
    await expectOnlyAcceptedStored();
  });

  it('POST /v1/resets/{id}/approve | retry | cancel', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('approve', 'retry', 'cancel', 'delete', ''),
        idSegment,
        fc.option(fc.oneof(fc.record({ reason: fieldValue }, { requiredKeys: [] }), anyJson)),
        rawPayload,
        authChoice,
        contentType,
        async (action, id, body, raw, auth, type) => {
          const res = await intake.app.inject({ method: 'POST', url: `/v1/resets/${id}/${action}`, headers: headersOf(auth, body === null && raw === null ? undefined : type, {}), ...(body === null && raw === null ? {} : { payload: payloadOf(body, raw ?? undefined) }) });
          expectSane(res, `POST /v1/resets/${id}/${action}`, 'actions');
          if (['approve', 'retry', 'cancel'].includes(action)) expectDeclared(res, 'POST', `/v1/resets/{id}/${action}`);
          // No request exists but the accepted ones, and fuzzed ids never name one: no action can succeed.
          expect(res.statusCode).not.toBe(200);
        },
      ),
      params('actions'),
    );
    await expectOnlyAcceptedStored();
  });

  it('notification routes: list and retry', async () => {
    await fc.assert(
      fc.asyncProperty(
        idSegment,
        fc.boolean(),
        fc.oneof(fc.constantFrom('accepted', 'succeeded', 'failed', 'cancelled'), nastyString.map((v) => encodeURIComponent(v)).filter((v) => v.length <= 100)),
        fc.oneof(fc.constantFrom('ticket', 'email'), nastyString.map((v) => encodeURIComponent(v)).filter((v) => v.length <= 100)),
        rawPayload,
        authChoice,
        contentType,
        async (id, retry, event, channel, raw, auth, type) => {
          const res = retry
            ? await intake.app.inject({ method: 'POST', url: `/v1/resets/${id}/notifications/${event}/${channel}/retry`, headers: headersOf(auth, raw === null ? undefined : type, {}), ...(raw === null ? {} : { payload: raw }) })
            : await intake.app.inject({ method: 'GET', url: `/v1/resets/${id}/notifications`, headers: headersOf(auth, undefined, {}) });
          expectSane(res, `${retry ? 'POST' : 'GET'} /v1/resets/${id}/notifications…`, 'notifications');
          if (event !== '' && channel !== '') expectDeclared(res, retry ? 'POST' : 'GET', retry ? '/v1/resets/{id}/notifications/{event}/{channel}/retry' : '/v1/resets/{id}/notifications');
          expect(res.statusCode).not.toBe(200);
        },
      ),
      params('notifications'),
    );
    await expectOnlyAcceptedStored();
  });

  it('GET /metrics', async () => {
    await fc.assert(
      fc.asyncProperty(authChoice, extraHeaders, fc.option(listQuery), async (auth, extra, query) => {
        const res = await intake.app.inject({ method: 'GET', url: `/metrics${query === null ? '' : `?${query}`}`, headers: headersOf(auth, undefined, extra) });
        expectSane(res, 'GET /metrics', 'metrics');
      }),
      params('metrics'),
    );
    await expectOnlyAcceptedStored();
  });

  it('tenant routes: submissions, pause, resume, blast-radius', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(['GET', 'submissions'], ['POST', 'pause'], ['POST', 'resume'], ['PUT', 'blast-radius'], ['DELETE', 'pause']) as fc.Arbitrary<['GET' | 'POST' | 'PUT' | 'DELETE', string]>,
        idSegment,
        fc.option(fc.oneof(fc.record({ reason: fieldValue, limitPerHour: fc.oneof(fc.integer({ min: -10, max: 200_000 }), fc.double(), fieldValue) }, { requiredKeys: [] }), anyJson)),
        rawPayload,
        authChoice,
        contentType,
        async ([method, path], tenant, body, raw, auth, type) => {
          const withBody = method !== 'GET' && !(body === null && raw === null);
          const res = await intake.app.inject({ method, url: `/v1/tenants/${tenant}/${path}`, headers: headersOf(auth, withBody ? type : undefined, {}), ...(withBody ? { payload: payloadOf(body, raw ?? undefined) } : {}) });
          expectSane(res, `${method} /v1/tenants/${tenant}/${path}`, 'tenants');
          if (!(method === 'DELETE')) expectDeclared(res, method, `/v1/tenants/{tenantId}/${path}`);
          if (res.statusCode === 200) {
            // Only a valid tenant id and the right role get an answer.
            expect(tenant).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
            expect(auth.kind).toBe('token');
          }
        },
      ),
      params('tenants'),
    );
    await expectOnlyAcceptedStored();
  });

  function signedJira(raw: string, how: Signing): Record<string, string> {
    const valid = hmacHex(JIRA_SECRET, raw);
    const signature: Record<Signing, string | undefined> = {
      valid: `sha256=${valid}`,
      stale: `sha256=${valid}`,
      future: `sha256=${valid}`,
      wrong_secret: `sha256=${hmacHex('another-secret-entirely-0000000000', raw)}`,
      other_body: `sha256=${hmacHex(JIRA_SECRET, `${raw} `)}`,
      garbage: 'sha256=zz',
      missing: undefined,
      uppercase: `sha256=${valid.toUpperCase()}`,
      truncated: `sha256=${valid.slice(0, 63)}`,
    };
    const value = signature[how];
    return value === undefined ? {} : { 'x-hub-signature': value };
  }

  it('POST /v1/webhooks/jira (bodies, signatures, identifiers)', async () => {
    await fc.assert(
      fc.asyncProperty(jiraBody, signing, fc.option(fc.oneof(fc.uuid(), fc.string({ maxLength: 200 }))), contentType, async (body, how, identifier, type) => {
        const now = Date.now();
        const timestamp = how === 'stale' ? now - 7_200_000 : how === 'future' ? now + 7_200_000 : now;
        const delivery = typeof body === 'object' && body !== null && !Array.isArray(body) && 'timestamp' in body && body.timestamp === 'now' ? { ...body, timestamp } : body;
        const raw = JSON.stringify(delivery);
        const headers = { ...signedJira(raw, how), ...(identifier === null ? {} : { 'x-atlassian-webhook-identifier': identifier }), ...(type === undefined ? {} : { 'content-type': type }) };
        const res = await intake.app.inject({ method: 'POST', url: '/v1/webhooks/jira', headers, payload: raw });
        expectSane(res, 'POST /v1/webhooks/jira', 'jira');
        expectDeclared(res, 'POST', '/v1/webhooks/jira');
        const unsigned = !['valid', 'stale', 'future', 'uppercase'].includes(how);
        if (unsigned && type === 'application/json') expect(res.statusCode).toBe(401);
        if (how !== 'valid' && how !== 'uppercase') expect(res.statusCode).toBeGreaterThanOrEqual(400);
        noteAccepted(res);
      }),
      params('jira'),
    );
    await expectOnlyAcceptedStored();
  });

  it('POST /v1/webhooks/servicenow (bodies, signatures, timestamps)', async () => {
    await fc.assert(
      fc.asyncProperty(serviceNowBody, signing, fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.oneof(fc.integer().map(String), fc.string({ maxLength: 20 })) }), contentType, async (body, how, oddTimestamp, type) => {
        const now = Math.floor(Date.now() / 1000);
        const timestamp = oddTimestamp ?? String(how === 'stale' ? now - 900 : how === 'future' ? now + 900 : now);
        const raw = JSON.stringify(body);
        const valid = hmacHex(SERVICENOW_SECRET, `${timestamp}.${raw}`);
        const signature: Record<Signing, string | undefined> = {
          valid: `v1=${valid}`,
          stale: `v1=${valid}`,
          future: `v1=${valid}`,
          wrong_secret: `v1=${hmacHex('another-secret-entirely-0000000000', `${timestamp}.${raw}`)}`,
          other_body: `v1=${hmacHex(SERVICENOW_SECRET, `${timestamp}.${raw} `)}`,
          garbage: 'v1=not-hex',
          missing: undefined,
          uppercase: `v1=${valid.toUpperCase()}`,
          truncated: `v1=${valid.slice(0, 63)}`,
        };
        const sig = signature[how];
        const headers = { 'x-resetpc-timestamp': timestamp, ...(sig === undefined ? {} : { 'x-resetpc-signature': sig }), ...(type === undefined ? {} : { 'content-type': type }) };
        const res = await intake.app.inject({ method: 'POST', url: '/v1/webhooks/servicenow', headers, payload: raw });
        expectSane(res, 'POST /v1/webhooks/servicenow', 'servicenow');
        expectDeclared(res, 'POST', '/v1/webhooks/servicenow');
        const refused = !['valid', 'uppercase'].includes(how) || (oddTimestamp !== null && !/^\d{9,11}$/.test(oddTimestamp));
        if (refused && type === 'application/json') expect(res.statusCode).toBe(401);
        if (refused) expect(res.statusCode).toBeGreaterThanOrEqual(400);
        noteAccepted(res);
      }),
      params('servicenow'),
    );
    await expectOnlyAcceptedStored();
  });

  it('reached past authentication and the schemas: some requests were accepted, listed and refused for each reason', () => {
    if (TOTAL < 5000) return; // Small FUZZ_RUNS (a quick local run) may not reach every branch.
    for (const route of ['create', 'jira', 'servicenow']) expect(seen.get(route)?.get(202) ?? 0).toBeGreaterThan(0);
    expect(seen.get('list')?.get(200) ?? 0).toBeGreaterThan(0);
    expect(seen.get('tenants')?.get(200) ?? 0).toBeGreaterThan(0);
    for (const route of ['create', 'list', 'get', 'actions', 'tenants', 'jira', 'servicenow']) {
      for (const status of [400, 401]) expect(seen.get(route)?.get(status) ?? 0).toBeGreaterThan(0);
    }
  });

  it('answers only statuses the OpenAPI document declares, apart from the known gaps', () => {
    expect([...undeclared].sort()).toEqual([]);
  });

  it('still answers after all of it', async () => {
    const ready = await intake.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    const res = await intake.app.inject({ method: 'POST', url: '/v1/resets', headers: intake.auth('submitter'), payload: { device: { serialNumber: 'FUZZ-AFTER-1' }, requestedBy: 'anna@contoso.com' } });
    expect(res.statusCode).toBe(202);
    noteAccepted(res);
    await expectOnlyAcceptedStored();
  });
});
