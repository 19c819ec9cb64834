import { spawnRedisServer, type SpawnedRedis } from '../../src/redis/spawn';
import { waitFor } from '../support/env';
import { JIRA_SECRET, createTestIntake, type TestIntake } from '../support/intake';
import { jiraHeaders, jiraIssueCreated } from '../support/webhooks';
import { signIn, postForm } from '../ops/session';

/**
 * Attacks on the intake's HTTP surface that got through before (issue 10), each sent as an attacker would:
 * - token guessing: wrong bearer tokens from one address, which must use up that address's rate limit (401, then 429);
 * - a sign-in flood from the address a ticketing system delivers from, which must not starve its signed webhooks;
 * - framing and MIME sniffing of the API docs (/docs), which must carry the dashboard's CSP and headers;
 * - bidi spoofing ("Trojan Source"): a reason with a right-to-left override or a line separator, shown reordered or
 *   split in a timeline, a ticket or the dashboard;
 * - scraping /metrics while Redis is down, which must be a 503 with Retry-After, not a 500;
 * - a request id in upper case, which must find the request on every route that takes one.
 */
let t: TestIntake;

beforeAll(async () => {
  t = await createTestIntake('hardening', { RATE_LIMIT_MAX: '100000' });
});

afterAll(async () => {
  await t.close();
});

const body = (serial: string, reason?: string) => ({ device: { serialNumber: serial }, requestedBy: 'anna@contoso.com', ...(reason === undefined ? {} : { reason }) });

describe('failed authentication and the rate limiter', () => {
  const RATE_LIMIT = 5;
  let limited: TestIntake;

  beforeAll(async () => {
    limited = await createTestIntake('ratelimit', { RATE_LIMIT_MAX: String(RATE_LIMIT), RATE_LIMIT_WINDOW_MS: '60000' });
  });

  afterAll(async () => {
    await limited.close();
  });

  it('counts wrong bearer tokens against their address: 401 until its budget is spent, then 429 with Retry-After', async () => {
    const attacker = '198.51.100.10';
    const codes: number[] = [];
    for (let i = 0; i < RATE_LIMIT + 3; i++) {
      const res = await limited.app.inject({ method: 'GET', url: '/v1/resets', remoteAddress: attacker, headers: { authorization: `Bearer rpt_guess-number-${String(i).padStart(8, '0')}` } });
      codes.push(res.statusCode);
      if (res.statusCode === 429) {
        expect(res.json()).toEqual({ error: { code: 'rate_limited', message: expect.stringMatching(/^Too many requests/) } });
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      }
    }
    expect(codes).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    // No token at all counts too; a valid token has its own budget; another address is not affected.
    expect((await limited.app.inject({ method: 'GET', url: '/v1/resets', remoteAddress: attacker })).statusCode).toBe(429);
    expect((await limited.app.inject({ method: 'GET', url: '/v1/resets', remoteAddress: attacker, headers: limited.auth('operator') })).statusCode).toBe(200);
    expect((await limited.app.inject({ method: 'GET', url: '/v1/resets', remoteAddress: '198.51.100.11', headers: { authorization: 'Bearer rpt_guess-from-elsewhere' } })).statusCode).toBe(401);
  });

  it('keeps a signed Jira webhook working from an address whose bad sign-ins were rate limited', async () => {
    const shared = '198.51.100.20';
    const codes: number[] = [];
    for (let i = 0; i < RATE_LIMIT + 2; i++) {
      const res = await limited.app.inject({
        method: 'POST',
        url: '/ops/login',
        remoteAddress: shared,
        payload: new URLSearchParams({ token: `not-a-real-token-${String(i).padStart(6, '0')}` }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      codes.push(res.statusCode);
    }
    expect(codes).toEqual([401, 401, 401, 401, 401, 429, 429]);
    const raw = JSON.stringify(jiraIssueCreated({ key: 'HD-1001', serial: 'HARDEN-WH-1' }));
    const delivery = await limited.app.inject({ method: 'POST', url: '/v1/webhooks/jira', remoteAddress: shared, headers: jiraHeaders(JIRA_SECRET, raw), payload: raw });
    expect(delivery.statusCode).toBe(202);
  });

  it('gives webhooks a budget of their own: forged deliveries from an address run it out, not the sign-in budget', async () => {
    const shared = '198.51.100.30';
    const raw = JSON.stringify(jiraIssueCreated({ key: 'HD-1002', serial: 'HARDEN-WH-2' }));
    const codes: number[] = [];
    for (let i = 0; i < RATE_LIMIT + 1; i++) {
      const res = await limited.app.inject({ method: 'POST', url: '/v1/webhooks/jira', remoteAddress: shared, headers: jiraHeaders('jira-secret-of-someone-else-0001', raw), payload: raw });
      codes.push(res.statusCode);
    }
    expect(codes).toEqual([401, 401, 401, 401, 401, 429]);
    const login = await limited.app.inject({ method: 'POST', url: '/ops/login', remoteAddress: shared, payload: { token: limited.tokens.operator }, headers: { 'content-type': 'application/json' } });
    expect(login.statusCode).toBe(303);
  });
});

describe('the API docs page', () => {
  function expectPageHeaders(headers: Record<string, unknown>, url: string): void {
    const csp = String(headers['content-security-policy']);
    expect({ url, csp }).toEqual({ url, csp: expect.stringContaining("default-src 'self'") });
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['referrer-policy']).toBe('same-origin');
  }

  it.each(['/docs', '/docs/'])('serves %s with the dashboard\'s CSP, no framing and nosniff', async (url) => {
    const res = await t.app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expectPageHeaders(res.headers, url);
  });

  it('loads every script and stylesheet the page names from this origin, with the same headers', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/docs/' });
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(assets.length).toBeGreaterThanOrEqual(4);
    // The initializer fetches the document from ./json, relative to the page.
    for (const asset of [...assets, './json']) {
      const url = new URL(asset, 'http://intake.test/docs/');
      expect(url.origin).toBe('http://intake.test');
      const res = await t.app.inject({ method: 'GET', url: url.pathname });
      expect({ asset, status: res.statusCode }).toEqual({ asset, status: 200 });
      expectPageHeaders(res.headers, url.pathname);
    }
  });
});

describe('free text', () => {
  it.each([
    ['a right-to-left override', 'Locked out \u202Eenohp ym\u202C since Monday'],
    ['an Arabic letter mark', 'Locked out \u061C since Monday'],
    ['a left-to-right mark', 'Locked out\u200E'],
    ['a right-to-left mark', 'Locked out\u200F'],
    ['a left-to-right embedding', '\u202ALocked out'],
    ['a first strong isolate', 'Locked \u2068out\u2069'],
    ['a right-to-left isolate', 'Locked \u2067out\u2069'],
    ['a line separator', 'Locked out\u2028Approved by the CISO'],
    ['a paragraph separator', 'Locked out\u2029Approved by the CISO'],
  ])('refuses a reason with %s, with a validation message that says why, and stores nothing', async (_label, reason) => {
    const before = await t.redis.zcard(t.store.keys.byCreated);
    const res = await t.app.inject({ method: 'POST', url: '/v1/resets', headers: t.auth('admin'), payload: body('HARDEN-BIDI-1', reason) });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: { code: 'validation_failed', message: expect.any(String), details: [{ field: 'body.reason', message: expect.stringContaining('bidirectional controls') }] },
    });
    expect(res.body).toContain('line separators');
    expect(await t.redis.zcard(t.store.keys.byCreated)).toBe(before);
  });

  it('accepts a reason written in a right-to-left script', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/resets', headers: t.auth('admin'), payload: body('HARDEN-RTL-1', 'הטלפון שלי נעול — هاتفي مقفل') });
    expect(res.statusCode).toBe(202);
  });
});

describe('request ids in any case', () => {
  it('finds a request by its id in upper case on the API and the dashboard, and answers with the lowercase id', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/v1/resets', headers: t.auth('admin'), payload: body('HARDEN-CASE-1') });
    expect(created.statusCode).toBe(202);
    const id = created.json<{ id: string }>().id;
    const upper = id.toUpperCase();
    expect(upper).not.toBe(id);

    const read = await t.app.inject({ method: 'GET', url: `/v1/resets/${upper}`, headers: t.auth('admin') });
    expect(read.statusCode).toBe(200);
    expect(read.json<{ id: string }>().id).toBe(id);
    expect((await t.app.inject({ method: 'GET', url: `/v1/resets/${upper}/notifications`, headers: t.auth('admin') })).statusCode).toBe(200);

    const login = await signIn(t, 'admin');
    const page = await t.app.inject({ method: 'GET', url: `/ops/requests/${upper}`, headers: { cookie: login.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(id);

    const cancelled = await t.app.inject({ method: 'POST', url: `/v1/resets/${upper}/cancel`, headers: t.auth('admin'), payload: { reason: 'case test' } });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toEqual({ id, state: 'cancelled' });
  });

  it('acts on a request from the dashboard by its id in upper case', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/v1/resets', headers: t.auth('admin'), payload: body('HARDEN-CASE-2') });
    const id = created.json<{ id: string }>().id;
    const login = await signIn(t, 'admin');
    const res = await postForm(t, `/ops/requests/${id.toUpperCase()}/cancel`, login, { reason: 'case test' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/ops/requests/${id}?done=cancel`);
    expect((await t.store.get(id))?.request.state).toBe('cancelled');
  });
});

describe('/metrics while Redis is down', () => {
  let redis: SpawnedRedis;
  let down: TestIntake;

  beforeAll(async () => {
    redis = await spawnRedisServer();
    down = await createTestIntake('metricsdown', { REDIS_COMMAND_TIMEOUT_MS: '500' }, redis.url);
  });

  afterAll(async () => {
    await down.close();
    await redis.stop().catch(() => undefined);
  });

  it('answers 503 with Retry-After in the documented error shape, and 200 again once Redis is back', async () => {
    // With Redis up it answers 200 (polled: a 500 ms command timeout can expire on a loaded machine).
    await waitFor(async () => (await down.app.inject({ method: 'GET', url: '/metrics', headers: down.auth('operator') })).statusCode === 200, 10_000, '/metrics to answer 200 with Redis up');

    const exited = new Promise((r) => redis.process.once('exit', r));
    redis.process.kill('SIGTERM');
    await exited;
    await waitFor(() => down.redis.status !== 'ready', 5000, 'the client to notice');

    const res = await down.app.inject({ method: 'GET', url: '/metrics', headers: down.auth('operator') });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({ error: { code: 'unavailable', message: expect.stringContaining('Redis') } });

    redis = await spawnRedisServer({ port: redis.port, dir: redis.dir });
    await waitFor(() => down.redis.status === 'ready', 10_000, 'the client to reconnect');
    await waitFor(async () => (await down.app.inject({ method: 'GET', url: '/metrics', headers: down.auth('operator') })).statusCode === 200, 10_000, '/metrics to answer again');
  });
});
