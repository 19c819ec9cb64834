import { sha256Hex } from '../../src/auth/tokens';
import { createTestIntake, TOKEN_NAMES, type TestIntake } from '../support/intake';
import { signIn } from '../ops/session';

// A record in Redis that this version of the product cannot read (another `v`, as a newer version writes during a
// rolling upgrade, or the wrong shape) is answered, by the API and by the dashboard, with 500 stored_data_invalid: the
// kind of record and what to do, never the record's content. The log names the key and the version, at error level,
// and carries no content either. Through the real intake, on the run's real Redis.
const CANARY = 'CANARY-STORED-7Q2';
const NEWER = 'A stored request was written by a newer version of the product, and this version cannot read it. An upgrade may be in progress: retry once every intake and worker runs the same version. It has been logged.';

let t: TestIntake;

beforeAll(async () => {
  t = await createTestIntake('storedanswer');
});

afterAll(async () => {
  const keys = await t.redis.keys(`${t.prefix}*`);
  if (keys.length > 0) await t.redis.del(...keys);
  await t.close();
});

async function submitted(serial: string): Promise<{ id: string; key: string; record: Record<string, unknown> }> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/resets', headers: t.auth('submitter'), payload: { device: { serialNumber: serial }, requestedBy: 'anna@contoso.com' } });
  expect(res.statusCode).toBe(202);
  const { id } = res.json<{ id: string }>();
  const key = t.store.keys.request(id);
  const record = JSON.parse((await t.redis.hget(key, 'json')) ?? '{}') as Record<string, unknown>;
  return { id, key, record };
}

/** The log lines written from `from` on, parsed and raw. */
function logsSince(from: number): { lines: Record<string, unknown>[]; raw: string } {
  return { lines: t.logs.slice(from), raw: t.rawLogs.slice(from).join('\n') };
}

describe('a stored record this version cannot read', () => {
  it('answers GET /v1/resets/:id with 500 stored_data_invalid for a request a newer version wrote, and logs its key and version', async () => {
    const { id, key, record } = await submitted('STORED-ANSWER-1');
    await t.redis.hset(key, 'json', JSON.stringify({ ...record, v: 2, requestedBy: `${CANARY}@contoso.com`, device: { serial: CANARY } }));
    const from = t.logs.length;

    const res = await t.app.inject({ method: 'GET', url: `/v1/resets/${id}`, headers: t.auth('operator') });

    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'stored_data_invalid', message: NEWER } });
    expect(res.body).not.toContain(CANARY);
    const { lines, raw } = logsSince(from);
    expect(lines).toContainEqual(expect.objectContaining({ level: 50, msg: 'stored data this version cannot read', kind: 'request', key, version: 2, problem: 'unknown_version' }));
    expect(raw).not.toContain(CANARY);
  });

  it('says a record of the wrong shape is not in its version\'s format, without quoting the value that is wrong', async () => {
    const { id, key } = await submitted('STORED-ANSWER-2');
    // The error's own message quotes the bad state ("state: … is not a state"): neither the answer nor the log may.
    await t.redis.hset(key, 'state', CANARY);
    const from = t.logs.length;

    const res = await t.app.inject({ method: 'GET', url: `/v1/resets/${id}`, headers: t.auth('submitter') });

    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({
      error: {
        code: 'stored_data_invalid',
        message: 'A stored request is not in the format its version promises, and this version cannot read it. An upgrade may be in progress: retry once every intake and worker runs the same version. It has been logged.',
      },
    });
    const { lines, raw } = logsSince(from);
    expect(lines).toContainEqual(expect.objectContaining({ level: 50, kind: 'request', key, version: 1, problem: 'invalid' }));
    expect(`${res.body}\n${raw}`).not.toContain(CANARY);
  });

  it('shows the dashboard\'s request page as the same error, naming the runbook', async () => {
    const { id, key, record } = await submitted('STORED-ANSWER-3');
    const login = await signIn(t, 'operator');
    await t.redis.hset(key, 'json', JSON.stringify({ ...record, v: 2, requestedBy: `${CANARY}@contoso.com` }));
    const from = t.logs.length;

    const res = await t.app.inject({ method: 'GET', url: `/ops/requests/${id}`, headers: { cookie: login.cookie } });

    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('Stored data this version cannot read');
    expect(res.body).toContain('A stored request was written by a newer version of the product');
    expect(res.body).toContain('docs/operations.md');
    const { lines, raw } = logsSince(from);
    expect(lines).toContainEqual(expect.objectContaining({ level: 50, kind: 'request', key, version: 2, problem: 'unknown_version' }));
    expect(`${res.body}\n${raw}`).not.toContain(CANARY);
  });

  it('answers a submission whose Idempotency-Key record a newer version wrote the same way, naming that kind of record', async () => {
    const send = () =>
      t.app.inject({ method: 'POST', url: '/v1/resets', headers: { ...t.auth('submitter'), 'idempotency-key': 'stored-answer-key-1' }, payload: { device: { serialNumber: 'STORED-ANSWER-4' }, requestedBy: 'anna@contoso.com' } });
    expect((await send()).statusCode).toBe(202);
    const key = t.store.keys.idempotency(TOKEN_NAMES.submitter, sha256Hex('stored-answer-key-1'));
    const record = JSON.parse((await t.redis.get(key)) ?? '{}') as Record<string, unknown>;
    await t.redis.set(key, JSON.stringify({ ...record, v: 2, note: CANARY }));
    const from = t.logs.length;

    const res = await send();

    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'stored_data_invalid', message: NEWER.replace('A stored request', 'A stored idempotency record') } });
    const { lines, raw } = logsSince(from);
    expect(lines).toContainEqual(expect.objectContaining({ level: 50, kind: 'idempotency record', key, version: 2, problem: 'unknown_version' }));
    expect(`${res.body}\n${raw}`).not.toContain(CANARY);
  });

  it('is a documented error code of the API', async () => {
    const doc = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(doc.statusCode).toBe(200);
    expect(doc.body).toContain('stored_data_invalid (500: a record in Redis that this version of the product cannot read');
    // Every /v1 operation that reads or writes Redis declares the 500 it may answer.
    const paths = doc.json<{ paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }>().paths;
    const undeclared = Object.entries(paths)
      .filter(([path]) => path.startsWith('/v1/'))
      .flatMap(([path, operations]) => Object.entries(operations).filter(([, op]) => !('500' in op.responses)).map(([method]) => `${method.toUpperCase()} ${path}`));
    expect(undeclared).toEqual([]);
  });
});
