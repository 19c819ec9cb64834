import { Redis } from 'ioredis';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { spawnRedisServer, type SpawnedRedis } from '../../src/redis/spawn';
import { testRedisUrl, uniquePrefix, waitFor } from '../support/env';
import { createTestIntake, type TestIntake } from '../support/intake';

const body = (serial: string) => ({ device: { serialNumber: serial }, requestedBy: 'anna@contoso.com' });

async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys = await redis.keys(`${prefix}*`);
  // Without the prefix: a random prefix may itself contain "down-1". The rate limiter's counters are not request data.
  return keys.map((k) => k.slice(prefix.length)).filter((k) => !k.includes(':ratelimit:')).sort();
}

describe('when Redis is down', () => {
  let server: SpawnedRedis;
  let t: TestIntake;

  beforeAll(async () => {
    server = await spawnRedisServer();
    t = await createTestIntake('redisdown', { REDIS_COMMAND_TIMEOUT_MS: '500' }, server.url);
  });

  afterAll(async () => {
    await t.close();
    await server.stop();
  });

  it('answers 503 with Retry-After, never 202, stores nothing, and recovers when Redis is back', async () => {
    const before = await t.app.inject({ method: 'POST', url: '/v1/resets', headers: t.auth('submitter'), payload: body('DOWN-0') });
    expect(before.statusCode).toBe(202);

    // Stop Redis, keeping its data directory (AOF) for the restart.
    const exited = new Promise((r) => server.process.once('exit', r));
    server.process.kill('SIGTERM');
    await exited;
    await waitFor(() => t.redis.status !== 'ready', 5000, 'the client to notice');

    const during = await t.app.inject({ method: 'POST', url: '/v1/resets', headers: t.auth('submitter'), payload: body('DOWN-1') });
    expect(during.statusCode).toBe(503);
    expect(during.headers['retry-after']).toBe('5');
    expect(during.json()).toEqual({ error: { code: 'unavailable', message: expect.stringContaining('nothing was stored') } });
    const ready = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ status: 'unavailable', checks: { redis: 'unreachable' } });
    const live = await t.app.inject({ method: 'GET', url: '/health/live' });
    expect(live.statusCode).toBe(200);

    // Same port, same directory: the first request survived (AOF), the refused one left nothing.
    const restarted = await spawnRedisServer({ port: server.port, dir: server.dir });
    const inspect = new Redis(restarted.url);
    try {
      await waitFor(() => t.redis.status === 'ready', 10_000, 'the client to reconnect');
      const keys = await keysUnder(inspect, t.prefix);
      expect(keys.some((k) => k.includes('DOWN-0') || k.includes('down-0'))).toBe(true);
      expect(keys.filter((k) => k.toLowerCase().includes('down-1'))).toEqual([]);
      expect((await t.store.list({}, 10)).items.map((r) => r.device.value)).toEqual(['DOWN-0']);

      const after = await t.app.inject({ method: 'POST', url: '/v1/resets', headers: t.auth('submitter'), payload: body('DOWN-1') });
      expect(after.statusCode).toBe(202);
      expect((await t.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    } finally {
      inspect.disconnect();
      server = restarted;
    }
  });
});

describe('when Redis refuses the commit after the job was queued', () => {
  it('answers 503 and leaves no job, no lock and no record behind', async () => {
    const admin = new Redis(testRedisUrl());
    const prefix = uniquePrefix('partial');
    const user = `partial-${Date.now()}`;
    // This user may write queues and locks, but not request records: the commit step fails, the job add succeeds.
    await admin.acl('SETUSER', user, 'on', '>partial-password', `~${prefix}:reset:*`, `~${prefix}:notify:*`, `~${prefix}:lock:*`, `~${prefix}:ratelimit:*`, '+@all');
    const url = new URL(testRedisUrl());
    url.username = user;
    url.password = 'partial-password';
    const t = await createTestIntake('partial', { REDIS_PREFIX: prefix }, url.toString());
    try {
      const res = await t.app.inject({ method: 'POST', url: '/v1/resets', headers: t.auth('submitter'), payload: body('PARTIAL-1') });
      expect(res.statusCode).toBe(503);
      // Only BullMQ's queue bookkeeping may remain: no job, no lock, no record, no index, no audit entry.
      const bookkeeping = /:(reset|notify):(meta|id|events|marker)$/;
      expect((await keysUnder(admin, prefix)).filter((k) => !bookkeeping.test(k))).toEqual([]);
      expect(await t.queues.reset.getJobCounts()).toEqual(expect.objectContaining({ waiting: 0, delayed: 0, active: 0 }));
    } finally {
      await t.close();
      await admin.acl('DELUSER', user);
      admin.disconnect();
    }
  });
});

describe('the audit stream', () => {
  it('records every transition and trims entries older than the retention', async () => {
    const t = await createTestIntake('audit', { AUDIT_RETENTION_DAYS: '1' });
    try {
      const audit = t.store.keys.audit;
      await t.redis.xadd(audit, '1000-0', 'request', 'old', 'entry', '{}');
      const res = await t.app.inject({ method: 'POST', url: '/v1/resets', headers: t.auth('submitter'), payload: body('AUDIT-1') });
      const { id } = res.json<{ id: string }>();
      const entries = await t.redis.xrange(audit, '-', '+');
      expect(entries.map(([, fields]) => fields[1])).toEqual([id]);
      expect(JSON.parse(entries[0]?.[1][3] ?? '{}')).toMatchObject({ to: 'received', actor: 'submitter' });
    } finally {
      await t.close();
    }
  });
});

/**
 * A TCP proxy to Redis that, once armed, lets the next command naming a request record through (the commit) and then
 * cuts the client's connection before the answer comes back: the commit is applied, the intake never hears so.
 */
async function startCuttingProxy(target: URL): Promise<{ url: string; arm(): void; close(): Promise<void> }> {
  let armed = false;
  let refuseUntil = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    // While Redis "is away", reconnections are refused: the client's resend of the commit fails too.
    if (Date.now() < refuseUntil) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    upstream.pipe(client);
    client.on('data', (chunk: Buffer) => {
      if (armed && /:request:[0-9a-f]{8}-/.test(chunk.toString('latin1'))) {
        armed = false;
        // Nothing more reaches the client; the command still reaches Redis, which applies it; then the line is cut.
        upstream.unpipe(client);
        upstream.write(chunk);
        refuseUntil = Date.now() + 1_500;
        setTimeout(() => {
          client.destroy();
          upstream.destroy();
        }, 50);
        return;
      }
      upstream.write(chunk);
    });
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `redis://127.0.0.1:${String(port)}`,
    arm: () => {
      armed = true;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}

describe('when Redis applies the commit but its answer is lost', () => {
  it('answers 503 saying the request may exist, undoes nothing, and a retry with the same Idempotency-Key gets its 202', async () => {
    const proxy = await startCuttingProxy(new URL(testRedisUrl()));
    // The command times out before the proxy lets the client reconnect: no resend can answer the first call.
    const t = await createTestIntake('ambiguous', { REDIS_COMMAND_TIMEOUT_MS: '500' }, proxy.url);
    try {
      const send = () => t.app.inject({ method: 'POST', url: '/v1/resets', headers: { ...t.auth('submitter'), 'idempotency-key': 'ticket-4711-try' }, payload: body('LOST-ANSWER-1') });
      proxy.arm();
      const first = await send();
      expect(first.statusCode).toBe(503);
      expect(first.json<{ error: { message: string } }>().error.message).toContain('it may have been stored');
      await waitFor(() => t.redis.status === 'ready', 10_000, 'the client to reconnect');

      // It was stored, and nothing was undone: the record, its job and its device lock are all there.
      const stored = (await t.store.list({}, 10)).items;
      expect(stored.map((r) => r.device.value)).toEqual(['LOST-ANSWER-1']);
      const id = stored[0]?.id ?? '';
      expect(await t.queues.reset.getJob(id)).toBeDefined();
      const again = await t.app.inject({ method: 'POST', url: '/v1/resets', headers: t.auth('submitter'), payload: body('LOST-ANSWER-1') });
      expect(again.statusCode).toBe(409);

      // The retry the 503 asks for: the same key gets the stored request's 202, and no second request exists.
      const retry = await send();
      expect(retry.statusCode).toBe(202);
      expect(retry.json()).toMatchObject({ id });
      expect((await t.store.list({}, 10)).items).toHaveLength(1);
    } finally {
      await t.close();
      await proxy.close();
    }
  });
});
