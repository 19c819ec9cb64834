/**
 * Authentication, rate limits and faults, as the client sees them: Basic auth (REST v3 "Basic auth for REST APIs"),
 * 429 with Retry-After and X-RateLimit-* ("Rate limiting" page), 5xx, timeouts, resets and lost responses, each
 * mapped to a typed error with a stable code, never retried inside the client, never naming a credential.
 */
import { ManualClock } from '@resetpc/sandbox';
import { startJiraSim, type StartedJiraSim } from '@resetpc/sandbox/jira';
import { adf, createJiraClient, JiraError, JiraRateLimitedError, JiraTransientError, type JiraClient } from '../../../src/ticketing/jira';

const TOKEN = 'ATATT3xFfGF0-sandbox-secret-token-value';
let sim: StartedJiraSim;
let jira: JiraClient;
const clock = new ManualClock(Date.parse('2026-03-02T09:00:00Z'));
const errors: unknown[] = [];

async function failure(p: Promise<unknown>): Promise<JiraError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(JiraError);
  errors.push(err);
  return err as JiraError;
}

beforeAll(async () => {
  sim = await startJiraSim({ apiToken: TOKEN, clock });
  jira = createJiraClient({ siteUrl: sim.url, email: 'resetpc-bot@contoso.com', apiToken: TOKEN, timeoutMs: 2000 });
});

afterEach(() => {
  sim.control.faults.clear();
  sim.control.setRateLimit(undefined);
});

afterAll(async () => {
  await sim.close();
});

describe('Basic auth (email:api_token)', () => {
  it('answers a wrong token or no credentials with 401, which the client reports as a permanent unauthorized error', async () => {
    const wrong = createJiraClient({ siteUrl: sim.url, email: 'resetpc-bot@contoso.com', apiToken: 'not-the-token' });
    const err = await failure(wrong.getIssue('HD-1'));
    expect(err).toMatchObject({ code: 'unauthorized', kind: 'permanent', status: 401, permanent: true });

    const raw = await fetch(`${sim.url}/rest/api/3/issue/HD-1`);
    expect(raw.status).toBe(401);
    expect(raw.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect(await raw.json()).toEqual({ errorMessages: ['Client must be authenticated to access this resource.'], errors: {} });
    expect(sim.control.requests.at(-1)).not.toHaveProperty('account');
  });

  it('answers a write by an account without permission with 403, a permanent forbidden error', async () => {
    sim.state.accounts.push({ accountId: 'ro-1', displayName: 'Read only', emailAddress: 'ro@contoso.com', apiToken: 'ro-token-000000001', readOnly: true });
    const ro = createJiraClient({ siteUrl: sim.url, email: 'ro@contoso.com', apiToken: 'ro-token-000000001' });
    await expect(ro.getIssue('HD-1')).resolves.toMatchObject({ key: 'HD-1' });
    const err = await failure(ro.addComment('HD-1', adf.doc(adf.paragraph('x'))));
    expect(err).toMatchObject({ code: 'forbidden', kind: 'permanent', status: 403 });
    expect(err.message).toContain('You do not have permission to add comments');
  });
});

describe('429 with Retry-After and X-RateLimit-*', () => {
  it('refuses requests over the per-user limit with Jira\'s headers, and the client carries retryAfterMs', async () => {
    sim.control.setRateLimit({ maxRequests: 2, windowMs: 60_000 });
    const first = await jira.getTransitions('HD-1');
    expect(first.length).toBeGreaterThan(0);
    await jira.getIssue('HD-1');
    const err = await failure(jira.getIssue('HD-1'));
    expect(err).toBeInstanceOf(JiraRateLimitedError);
    expect(err).toMatchObject({ code: 'rate_limited', kind: 'rate_limited', status: 429, retryAfterMs: 60_000 });

    const auth = `Basic ${Buffer.from(`resetpc-bot@contoso.com:${TOKEN}`).toString('base64')}`;
    const raw = await fetch(`${sim.url}/rest/api/3/issue/HD-1`, { headers: { authorization: auth } });
    expect(raw.status).toBe(429);
    expect(Object.fromEntries(['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'].map((h) => [h, raw.headers.get(h)]))).toEqual({
      'retry-after': '60',
      'x-ratelimit-limit': '2',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': '2026-03-02T09:01Z',
    });

    clock.advance(60_000);
    await expect(jira.getIssue('HD-1')).resolves.toMatchObject({ key: 'HD-1' });
  });

  it('turns an injected 429 into a rate-limited error with the Retry-After in milliseconds', async () => {
    sim.control.injectFault({ path: '/rest/api/3/issue/*/comment', sequence: [{ kind: 'status', status: 429, retryAfterSeconds: 7 }] });
    const err = await failure(jira.addComment('HD-1', adf.doc(adf.paragraph('x'))));
    expect(err).toMatchObject({ code: 'rate_limited', retryAfterMs: 7000 });
    expect(sim.control.issue('HD-1')!.comments).toHaveLength(0);
  });
});

describe('server faults', () => {
  it.each([500, 503] as const)('reports %i as a transient unavailable error, sent once (no retry inside the client)', async (status) => {
    sim.control.injectFault({ method: 'POST', path: '/rest/api/3/issue/HD-1/transitions', sequence: [{ kind: 'status', status, ...(status === 503 ? { retryAfterSeconds: 3 } : {}) }] });
    const before = sim.control.requests.length;
    const err = await failure(jira.transitionByName('HD-1', 'Resolve'));
    expect(err).toBeInstanceOf(JiraTransientError);
    expect(err).toMatchObject({ code: 'unavailable', kind: 'transient', status, retryAfterMs: status === 503 ? 3000 : undefined });
    expect(sim.control.requests.slice(before).map((r) => [r.method, r.outcome])).toEqual([['GET', 200], ['POST', status]]);
    expect(sim.control.issue('HD-1')!.status.name).toBe('Waiting for support');
  });

  it('reports a connection reset as a transient network error', async () => {
    sim.control.injectFault({ path: '/rest/api/3/issue/HD-1', sequence: [{ kind: 'reset' }] });
    expect(await failure(jira.getIssue('HD-1'))).toMatchObject({ code: 'network_error', kind: 'transient' });
  });

  it('applies a write whose response is lost: the client sees a network error, the comment exists once', async () => {
    sim.control.injectFault({ path: '/rest/servicedeskapi/request/HD-1/comment', sequence: [{ kind: 'lostResponse' }] });
    expect(await failure(jira.addServiceDeskComment('HD-1', 'lost answer', false))).toMatchObject({ code: 'network_error', kind: 'transient' });
    expect(sim.control.issue('HD-1')!.comments.filter((c) => c.body === 'lost answer')).toHaveLength(1);
    expect(sim.control.writes.at(-1)!.outcome).toBe('lostResponse');
  });

  it('gives up after its timeout on a slow answer, as a transient timeout error', async () => {
    const slow = createJiraClient({ siteUrl: sim.url, email: 'resetpc-bot@contoso.com', apiToken: TOKEN, timeoutMs: 50 });
    sim.control.injectFault({ path: '/rest/api/3/issue/HD-1', sequence: [{ kind: 'latency', ms: 1000 }] });
    expect(await failure(slow.getIssue('HD-1'))).toMatchObject({ code: 'timeout', kind: 'transient' });
  });

  it('stops at once when the caller\'s signal aborts, as an aborted error', async () => {
    sim.control.injectFault({ path: '/rest/api/3/issue/HD-1', sequence: [{ kind: 'latency', ms: 1000 }] });
    const controller = new AbortController();
    const pending = failure(jira.getIssue('HD-1', { signal: controller.signal }));
    controller.abort();
    expect(await pending).toMatchObject({ code: 'aborted', kind: 'transient' });
  });

  it('reports a network error when nothing listens, without retrying', async () => {
    const closed = await startJiraSim();
    const url = closed.url;
    await closed.close();
    const gone = createJiraClient({ siteUrl: url, email: 'resetpc-bot@contoso.com', apiToken: TOKEN });
    const err = await failure(gone.getIssue('HD-1'));
    expect(err).toMatchObject({ code: 'network_error', kind: 'transient' });
    expect(err.message).toContain('ECONNREFUSED');
  });
});

describe('secrets', () => {
  it('never puts the token, the Basic header or the email in an error message or serialised error', () => {
    const basic = Buffer.from(`resetpc-bot@contoso.com:${TOKEN}`).toString('base64');
    expect(errors.length).toBeGreaterThanOrEqual(8);
    for (const err of errors) {
      const text = `${String(err)} ${JSON.stringify(err)} ${(err as Error).stack ?? ''}`;
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(basic);
      expect(text).not.toContain('resetpc-bot@contoso.com');
    }
    expect(JSON.stringify(jira)).not.toContain(TOKEN);
  });

  it('refuses a site URL with credentials in it, or plain http to a non-loopback host, without echoing it', () => {
    expect(() => createJiraClient({ siteUrl: 'https://bot:secret-in-url@contoso.atlassian.net', email: 'a@b.c', apiToken: 't' })).toThrow('The Jira siteUrl must not contain credentials');
    expect(() => createJiraClient({ siteUrl: 'http://contoso.atlassian.net', email: 'a@b.c', apiToken: 't' })).toThrow(/must be https/);
  });
});
