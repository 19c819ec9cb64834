/**
 * Rate limits and faults (docs: "Inbound REST API rate limiting",
 * servicenow.com/docs/r/api-reference/rest-api-explorer/inbound-REST-API-rate-limiting.html: 429 with Retry-After,
 * X-RateLimit-Limit, X-RateLimit-Reset, X-RateLimit-Rule and the body {"error":{"message":"Rate limit exceeded",
 * "detail":"Rate limit of 10 requests per hour for Table API exceeded"},"status":"failure"}), and how the product's client
 * classifies each: rate_limited with retryAfterMs, transient for 5xx, resets, timeouts; never retried by the client.
 * Sources:
 * - https://www.servicenow.com/docs/r/api-reference/rest-api-explorer/inbound-REST-API-rate-limiting.html : rules count
 *   requests per user per hour; a refused request is 429 Too Many Requests with Retry-After (seconds), X-RateLimit-Limit
 *   (requests per hour), X-RateLimit-Reset (UNIX time of the window's reset), X-RateLimit-Rule (the sys_id of the
 *   sys_rate_limit_rules record) and {"error":{"message":"Rate limit exceeded","detail":"Rate limit of N requests per
 *   hour for Table API exceeded"},"status":"failure"}. Whether the hour is a clock hour or rolling is not stated
 *   (uncertain, docs/sandbox.md).
 * - https://www.servicenow.com/docs/r/api-reference/rest-api-explorer/reset-rest-api-rate-limits.html : counts are kept
 *   "for the current hour".
 * - https://www.servicenow.com/docs/r/api-reference/rest-api-explorer/r_RESTAPIHTTPResponseCodes.html : 500 Internal
 *   server error and 503 Service unavailable are the instance's own; 504 is not listed (a gateway's answer), and no
 *   Retry-After is documented on 503 (uncertain, docs/sandbox.md).
 * - https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Retry-After : Retry-After on 503 and 429, in delay
 *   seconds or an HTTP date.
 * - https://rfc-editor.org/rfc/rfc5789 : PATCH is neither safe nor idempotent, so a PATCH whose answer is lost may have
 *   taken effect (the journal holds the note) and must not be resent blindly.
 * - https://www.servicenow.com/docs/r/platform-security/authentication/client-credentials-grant-workflow.html : the
 *   token comes from POST /oauth_token.do before any API call, so a failing token endpoint stops the call first.
 */
import { SN_FIXTURE } from '@resetpc/sandbox/servicenow';
import { ServiceNowRateLimitedError, ServiceNowTransientError } from '../../../src/ticketing/servicenow';
import { startTestServiceNow, type TestServiceNow } from './harness';

let sn: TestServiceNow;

beforeAll(async () => {
  sn = await startTestServiceNow();
});

afterAll(async () => {
  await sn.close();
});

beforeEach(() => {
  sn.sim.control.clearFaults();
  sn.sim.control.setRateLimit(undefined);
  sn.sim.control.clearRecords();
});

const sysId = SN_FIXTURE.incident.sys_id;
const recordPath = `/api/now/table/incident/${sysId}`;

describe('Inbound REST API rate limiting: 429 Too Many Requests', () => {
  it('raises a scripted 429 as rate_limited with retryAfterMs from Retry-After, after exactly one request', async () => {
    sn.sim.control.injectFault({ method: 'GET', path: '/api/now/table/incident/*', sequence: [{ kind: 'status', status: 429, retryAfterSeconds: 7 }] });
    const error = await sn.basicClient().getTicket('incident', sysId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceNowRateLimitedError);
    expect(error).toMatchObject({ code: 'rate_limited', kind: 'rate_limited', retryAfterMs: 7000, status: 429 });
    expect(sn.sim.control.calls).toHaveLength(1);
    await expect(sn.basicClient().getTicket('incident', sysId)).resolves.toMatchObject({ sysId });
  });

  it('answers past a per-user rate limit rule with 429, Retry-After, X-RateLimit-* headers and the documented body', async () => {
    sn.sim.control.setRateLimit({ limit: 2, windowMs: 3_600_000 });
    const client = sn.basicClient();
    await client.getTicket('incident', sysId);
    sn.clock.advance(1000);
    await client.getTicket('incident', sysId);
    const { status, headers, body } = await sn.raw('GET', recordPath);
    expect(status).toBe(429);
    expect(headers.get('retry-after')).toBe('3599');
    expect(headers.get('x-ratelimit-limit')).toBe('2');
    expect(headers.get('x-ratelimit-rule')).toMatch(/^[0-9a-f]{32}$/);
    expect(body).toEqual({ error: { message: 'Rate limit exceeded', detail: 'Rate limit of 2 requests per hour for Table API exceeded' }, status: 'failure' });
    // The operator reads which rule refused the call, and the client waits as Retry-After says.
    await expect(client.getTicket('incident', sysId)).rejects.toMatchObject({
      code: 'rate_limited',
      retryAfterMs: 3_599_000,
      message: expect.stringMatching(/Rate limit exceeded.*rate limit rule [0-9a-f]{32}/),
    });
    sn.clock.advance(3_599_000);
    await expect(client.getTicket('incident', sysId)).resolves.toMatchObject({ sysId });
  });
});

describe('REST API response codes: 5xx, broken connections, timeouts', () => {
  it.each([500, 504] as const)('raises %i as a transient unavailable error', async (status) => {
    sn.sim.control.injectFault({ path: '/api/now/table/**', sequence: [{ kind: 'status', status }] });
    const error = await sn.basicClient().addWorkNote('incident', sysId, 'note').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceNowTransientError);
    expect(error).toMatchObject({ code: 'unavailable', kind: 'transient', status });
    expect(sn.sim.control.journal(sysId)).toHaveLength(0);
  });

  it('keeps a 503\'s Retry-After on the transient error', async () => {
    sn.sim.control.injectFault({ path: '/api/now/table/**', sequence: [{ kind: 'status', status: 503, retryAfterSeconds: 30 }] });
    await expect(sn.basicClient().getTicket('incident', sysId)).rejects.toMatchObject({ code: 'unavailable', status: 503, retryAfterMs: 30_000 });
  });

  it('raises a connection reset as a transient network error', async () => {
    sn.sim.control.injectFault({ path: recordPath, sequence: [{ kind: 'reset' }] });
    await expect(sn.basicClient().getTicket('incident', sysId)).rejects.toMatchObject({ code: 'network_error', kind: 'transient' });
    expect(sn.sim.control.calls[0]?.status).toBe('reset');
  });

  it('applies a write whose response is lost: the client sees a network error, the journal has the note', async () => {
    sn.sim.control.injectFault({ method: 'PATCH', path: recordPath, sequence: [{ kind: 'lostResponse' }] });
    await expect(sn.basicClient().addWorkNote('incident', sysId, 'lost but written')).rejects.toMatchObject({ code: 'network_error' });
    expect(sn.sim.control.journal(sysId, 'work_notes').map((e) => e.value)).toEqual(['lost but written']);
  });

  it('gives up after timeoutMs when the instance is slow, as a transient timeout', async () => {
    sn.sim.control.injectFault({ path: recordPath, sequence: [{ kind: 'latency', ms: 5000 }] });
    await expect(sn.basicClient({ timeoutMs: 100 }).getTicket('incident', sysId)).rejects.toMatchObject({ code: 'timeout', kind: 'transient' });
  });

  it('stops when the caller\'s signal aborts, as a transient aborted error', async () => {
    sn.sim.control.injectFault({ path: recordPath, sequence: [{ kind: 'latency', ms: 5000 }] });
    const controller = new AbortController();
    const pending = sn.basicClient().getTicket('incident', sysId, { signal: controller.signal });
    controller.abort(new Error('shutdown'));
    await expect(pending).rejects.toMatchObject({ code: 'aborted', kind: 'transient' });
  });

  it('raises a 503 from the OAuth token endpoint as transient, before any Table API call', async () => {
    sn.sim.control.injectFault({ path: '/oauth_token.do', sequence: [{ kind: 'status', status: 503, retryAfterSeconds: 5 }] });
    await expect(sn.oauthClient().getTicket('incident', sysId)).rejects.toMatchObject({ code: 'unavailable', kind: 'transient', retryAfterMs: 5000 });
    expect(sn.sim.control.calls).toHaveLength(0);
  });

  it('raises a network error when nothing listens at the instance URL', async () => {
    const closed = await startTestServiceNow({ fixtures: false });
    const url = closed.sim.url;
    await closed.close();
    const client = sn.basicClient({ instanceUrl: url });
    await expect(client.getTicket('incident', sysId)).rejects.toMatchObject({ code: 'network_error', message: expect.stringContaining('ECONNREFUSED') });
  });
});
