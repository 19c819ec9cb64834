import { JIRA_SECRET, SERVICENOW_SECRET, createTestIntake, type TestIntake } from '../support/intake';
import { submitFromTicket } from '../support/webhooks';

const SECRETS = { jira: JIRA_SECRET, servicenow: SERVICENOW_SECRET };

let t: TestIntake;

beforeAll(async () => {
  t = await createTestIntake('resets', { RATE_LIMIT_MAX: '1000' });
});

afterAll(async () => {
  await t.close();
});

const body = (serial: string, extra: Record<string, unknown> = {}) => ({
  device: { serialNumber: serial },
  requestedBy: 'anna@contoso.com',
  reason: 'locked out after travel',
  ...extra,
});

async function post(payload: unknown, headers: Record<string, string> = {}) {
  return t.app.inject({ method: 'POST', url: '/v1/resets', headers: { ...t.auth('submitter'), ...headers }, payload: payload as Record<string, unknown> });
}

describe('POST /v1/resets', () => {
  it('answers 202 only after the request record and its job are stored', async () => {
    const res = await post(body('SN-ACCEPT-1'));
    expect(res.statusCode).toBe(202);
    const accepted = res.json<{ id: string; state: string; links: { self: string } }>();
    expect(accepted).toEqual({ id: expect.any(String), state: 'received', links: { self: `/v1/resets/${accepted.id}` } });
    expect(res.headers.location).toBe(`/v1/resets/${accepted.id}`);

    const job = await t.queues.reset.getJob(accepted.id);
    expect(job?.data).toEqual({ requestId: accepted.id });
    const stored = await t.store.get(accepted.id);
    expect(stored?.request).toMatchObject({
      state: 'received',
      device: { kind: 'serialNumber', value: 'SN-ACCEPT-1' },
      requestedBy: 'anna@contoso.com',
      source: 'api',
      submittedBy: 'submitter',
    });
    expect(stored?.timeline).toEqual([{ at: expect.any(String), from: null, to: 'received', actor: 'submitter', reason: 'request accepted' }]);
  });

  it('refuses a ticket from a caller without the ticket role, and a citation with no ticketing system to read it', async () => {
    const citing = body('SN-CITE-1', { ticket: { system: 'jira', key: 'HD-101' } });
    const submitOnly = await post(citing);
    expect(submitOnly.statusCode).toBe(403);
    expect(submitOnly.json()).toMatchObject({ error: { code: 'forbidden', message: expect.stringContaining('"ticket" role') } });
    const unread = await t.app.inject({ method: 'POST', url: '/v1/resets', headers: t.auth('integration'), payload: citing });
    expect(unread.statusCode).toBe(422);
    expect(unread.json()).toMatchObject({ error: { code: 'ticket_system_not_configured' } });
    expect((await t.store.list({ ticket: 'HD-101' }, 10)).items).toEqual([]);
  });

  it('needs a device and a requester when no ticket is cited', async () => {
    const res = await post({ reason: 'locked out' });
    expect(res.statusCode).toBe(400);
    const fields = res.json<{ error: { details: { field: string }[] } }>().error.details.map((d) => d.field).sort();
    expect(fields).toEqual(['body.device', 'body.requestedBy']);
  });

  it('refuses a second request for a device that has an active one, naming the active request', async () => {
    const first = await post(body('SN-BUSY-1'));
    const { id } = first.json<{ id: string }>();
    const second = await post({ device: { serialNumber: 'sn-busy-1' }, requestedBy: 'bob@contoso.com' });
    expect(second.statusCode).toBe(409);
    expect(second.json()).toEqual({
      error: { code: 'device_has_active_request', message: expect.any(String), details: { activeRequestId: id, links: { active: `/v1/resets/${id}` } } },
    });
    expect(await t.queues.reset.getJobCounts('waiting')).toMatchObject({ waiting: expect.any(Number) });
    expect((await t.store.list({ device: 'SN-BUSY-1' }, 10)).items).toHaveLength(1);
  });

  it('names each invalid field in a 400', async () => {
    const res = await post({ device: { serialNumber: 'bad serial!' }, requestedBy: 'not-an-email', reason: 'x'.repeat(600) });
    expect(res.statusCode).toBe(400);
    const error = res.json<{ error: { code: string; details: { field: string; message: string }[] } }>().error;
    expect(error.code).toBe('validation_failed');
    const fields = error.details.map((d) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['body.device.serialNumber', 'body.requestedBy', 'body.reason']));
  });

  it('rejects unknown fields, naming them', async () => {
    const res = await post({ ...body('SN-UNKNOWN-1'), priority: 'high', device: { serialNumber: 'SN-UNKNOWN-1', os: 'android' } });
    expect(res.statusCode).toBe(400);
    const details = res.json<{ error: { details: { field: string; message: string }[] } }>().error.details;
    expect(details).toEqual(
      expect.arrayContaining([
        { field: 'body.priority', message: 'unknown field' },
        { field: 'body.device.os', message: 'unknown field' },
      ]),
    );
  });

  it('requires exactly one device identifier', async () => {
    const none = await post({ device: {}, requestedBy: 'anna@contoso.com' });
    const two = await post({ device: { serialNumber: 'A1', deviceName: 'Anna' }, requestedBy: 'anna@contoso.com' });
    for (const res of [none, two]) {
      expect(res.statusCode).toBe(400);
      expect(res.json<{ error: { details: { field: string; message: string }[] } }>().error.details).toContainEqual({
        field: 'body.device',
        message: 'give exactly one of id, azureADDeviceId, serialNumber, deviceName',
      });
    }
  });

  it.each([
    ['a query-string smuggled into a device name', { deviceName: "x' &$top=999&$filter=1" }],
    ['a path separator in a device name', { deviceName: 'a/../../b' }],
    ['a path trick in a managed device id', { id: '../../users/me' }],
    ['a filter expression in a serial number', { serialNumber: "1' or 1 eq 1" }],
    ['a URL-encoded slash in an Entra device id', { azureADDeviceId: '00000000-0000-0000-0000-000000000000%2F..' }],
  ])('refuses %s', async (_label, device) => {
    const res = await post({ device, requestedBy: 'anna@contoso.com' });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('validation_failed');
  });

  it.each(["Anna's iPhone", "x' or deviceName ne 'y"])('accepts the device name %p with apostrophes, kept as literal data', async (name) => {
    const res = await post({ device: { deviceName: name }, requestedBy: 'anna@contoso.com' });
    expect(res.statusCode).toBe(202);
    const { id } = res.json<{ id: string }>();
    expect((await t.store.get(id))?.request.device).toEqual({ kind: 'deviceName', value: name });
  });

  it('answers 400 for malformed JSON, 413 for a large body and 415 for another content type', async () => {
    const malformed = await t.app.inject({ method: 'POST', url: '/v1/resets', headers: { ...t.auth('submitter'), 'content-type': 'application/json' }, payload: '{"device":' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toEqual({ error: { code: 'invalid_json', message: expect.any(String) } });

    const large = await t.app.inject({
      method: 'POST',
      url: '/v1/resets',
      headers: { ...t.auth('submitter'), 'content-type': 'application/json' },
      payload: JSON.stringify({ ...body('SN-LARGE'), reason: 'x'.repeat(20_000) }),
    });
    expect(large.statusCode).toBe(413);
    expect(large.json()).toEqual({ error: { code: 'payload_too_large', message: expect.any(String) } });

    const form = await t.app.inject({ method: 'POST', url: '/v1/resets', headers: { ...t.auth('submitter'), 'content-type': 'text/plain' }, payload: 'device=1' });
    expect(form.statusCode).toBe(415);
    expect(form.json()).toEqual({ error: { code: 'unsupported_media_type', message: expect.any(String) } });
  });

  it('answers 401 without a token or with a wrong one, and 403 without the submit role', async () => {
    const none = await t.app.inject({ method: 'POST', url: '/v1/resets', payload: body('SN-AUTH') });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toContain('Bearer');
    const wrong = await t.app.inject({ method: 'POST', url: '/v1/resets', headers: { authorization: 'Bearer rpt_not-a-real-token-at-all' }, payload: body('SN-AUTH') });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json<{ error: { code: string } }>().error.code).toBe('unauthorized');
    const role = await t.app.inject({ method: 'POST', url: '/v1/resets', headers: t.auth('approver'), payload: body('SN-AUTH') });
    expect(role.statusCode).toBe(403);
    expect(role.json()).toEqual({ error: { code: 'forbidden', message: 'This action needs the "submit" role' } });
    const admin = await t.app.inject({ method: 'POST', url: '/v1/resets', headers: t.auth('admin'), payload: body('SN-AUTH-ADMIN') });
    expect(admin.statusCode).toBe(202);
  });
});

describe('Idempotency-Key', () => {
  it('returns the first answer for the same key and body, without a second request', async () => {
    const first = await post(body('SN-IDEM-1'), { 'idempotency-key': 'ticket-7-try' });
    const again = await post(body('SN-IDEM-1'), { 'idempotency-key': 'ticket-7-try' });
    expect(first.statusCode).toBe(202);
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual(first.json());
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect((await t.store.list({ device: 'SN-IDEM-1' }, 10)).items).toHaveLength(1);
  });

  it('answers 422 for the same key with another body', async () => {
    await post(body('SN-IDEM-2'), { 'idempotency-key': 'key-two' });
    const other = await post(body('SN-IDEM-3'), { 'idempotency-key': 'key-two' });
    expect(other.statusCode).toBe(422);
    expect(other.json<{ error: { code: string } }>().error.code).toBe('idempotency_key_reused');
    expect((await t.store.list({ device: 'SN-IDEM-3' }, 10)).items).toHaveLength(0);
  });

  it('answers 409 to a concurrent duplicate while the first is in flight', async () => {
    const results = await Promise.all(Array.from({ length: 5 }, () => post(body('SN-IDEM-4'), { 'idempotency-key': 'key-concurrent' })));
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes.filter((c) => c === 202).length).toBeGreaterThanOrEqual(1);
    for (const r of results.filter((x) => x.statusCode === 409)) expect(r.json<{ error: { code: string } }>().error.code).toBe('idempotency_in_progress');
    expect(codes.every((c) => c === 202 || c === 409)).toBe(true);
    expect((await t.store.list({ device: 'SN-IDEM-4' }, 10)).items).toHaveLength(1);
  });

  it('scopes keys per caller', async () => {
    const mine = await post(body('SN-IDEM-5'), { 'idempotency-key': 'shared-key' });
    const theirs = await t.app.inject({ method: 'POST', url: '/v1/resets', headers: { ...t.auth('admin'), 'idempotency-key': 'shared-key' }, payload: body('SN-IDEM-6') });
    expect(mine.statusCode).toBe(202);
    expect(theirs.statusCode).toBe(202);
  });
});

describe('GET /v1/resets', () => {
  it('shows a request with its state and timeline', async () => {
    const { id } = (await post(body('SN-GET-1'))).json<{ id: string }>();
    const res = await t.app.inject({ method: 'GET', url: `/v1/resets/${id}`, headers: t.auth('operator') });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id, state: 'received', device: { kind: 'serialNumber', value: 'SN-GET-1' }, timeline: [{ to: 'received' }], links: { self: `/v1/resets/${id}` } });
  });

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    const unknown = await t.app.inject({ method: 'GET', url: '/v1/resets/00000000-0000-4000-8000-000000000000', headers: t.auth('operator') });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: { code: 'not_found', message: 'No request with id 00000000-0000-4000-8000-000000000000' } });
    const malformed = await t.app.inject({ method: 'GET', url: '/v1/resets/..%2F..%2Fadmin', headers: t.auth('operator') });
    expect(malformed.statusCode).toBe(400);
  });

  it('lists by ticket, device and state, paged newest first', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await submitFromTicket(t.app, SECRETS, { system: 'servicenow', key: `INC000900${i}` }, `SN-LIST-${i}`));

    const byTicket = await t.app.inject({ method: 'GET', url: '/v1/resets?ticket=INC0009002', headers: t.auth('operator') });
    expect(byTicket.json<{ items: { id: string }[] }>().items.map((i) => i.id)).toEqual([ids[2]]);
    const byDevice = await t.app.inject({ method: 'GET', url: '/v1/resets?device=sn-list-4', headers: t.auth('operator') });
    expect(byDevice.json<{ items: { id: string }[] }>().items.map((i) => i.id)).toEqual([ids[4]]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/resets?state=received&limit=2${cursor === null ? '' : `&cursor=${cursor}`}`;
      const page = (await t.app.inject({ method: 'GET', url, headers: t.auth('operator') })).json<{ items: { id: string; state: string }[]; nextCursor: string | null }>();
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(0, 5)).toEqual([...ids].reverse());
  });

  it('refuses a bad cursor and an unknown filter', async () => {
    const cursor = await t.app.inject({ method: 'GET', url: '/v1/resets?cursor=nonsense', headers: t.auth('operator') });
    expect(cursor.statusCode).toBe(400);
    expect(cursor.json()).toEqual({ error: { code: 'validation_failed', message: 'cursor is not valid', details: [{ field: 'querystring.cursor', message: 'not a cursor from this API' }] } });
    const filter = await t.app.inject({ method: 'GET', url: '/v1/resets?owner=me', headers: t.auth('operator') });
    expect(filter.statusCode).toBe(400);
  });
});

describe('the optional accepted notification', () => {
  it('is queued for each channel configured for it, and not at all by default', async () => {
    const on = await createTestIntake('accepted-on', { NOTIFY_TICKET_EVENTS: 'accepted,succeeded', NOTIFY_EMAIL_EVENTS: 'accepted' });
    try {
      const id = await submitFromTicket(on.app, SECRETS, { system: 'jira', key: 'HD-777' }, 'SN-NOTE-1');
      const without = await on.app.inject({ method: 'POST', url: '/v1/resets', headers: on.auth('submitter'), payload: body('SN-NOTE-2') });
      const other = without.json<{ id: string }>().id;
      const jobs = (await on.queues.notify.getJobs(['waiting', 'delayed', 'prioritized'])).map((j) => j.id).sort();
      // No ticket on the second request: no ticket note for it.
      expect(jobs).toEqual([`${id}|accepted|email`, `${id}|accepted|ticket`, `${other}|accepted|email`].sort());
    } finally {
      await on.close();
    }
    await submitFromTicket(t.app, SECRETS, { system: 'jira', key: 'HD-778' }, 'SN-NOTE-3');
    expect(await t.queues.notify.getJobCounts('waiting', 'delayed')).toEqual({ waiting: 0, delayed: 0 });
  });
});
