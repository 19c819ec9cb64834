import type { Redis } from 'ioredis';
import { createRedis, waitForReady } from '../../src/redis/connection';
import { spawnRedisServer, type SpawnedRedis } from '../../src/redis/spawn';
import { storeKeys } from '../../src/store/keys';
import { RateLimitLeases, leaseBlock } from '../../src/store/rate-limit-leases';
import { testRedisUrl, uniquePrefix, waitFor } from '../support/env';
import { createTestIntake, type TestIntake } from '../support/intake';

/**
 * The rate limiter as an attacker meets it when the intake runs as several processes on one Redis (ADR 014): each
 * process leases blocks of a bucket's budget and counts locally, yet together they let no more than RATE_LIMIT_MAX
 * requests through per window; the refusal is a 429 with Retry-After; failed authentications from one address use up
 * that address's budget on every process; the budget comes back when the window ends; Redis down is a 503, not a 429.
 */

type Injected = Awaited<ReturnType<TestIntake['app']['inject']>>;

/**
 * Two intake processes' apps on one Redis and one key prefix, as a deployment runs them: mounted before the tests of
 * the enclosing describe and closed after them.
 */
function twoIntakes(label: string, env: Record<string, string>): { readonly a: TestIntake; readonly b: TestIntake } {
  const both = {} as { a: TestIntake; b: TestIntake };
  beforeAll(async () => {
    const shared = { ...env, REDIS_PREFIX: uniquePrefix(label) };
    both.a = await createTestIntake(label, shared);
    both.b = await createTestIntake(label, shared);
  });
  afterAll(async () => {
    await Promise.all([both.a.close(), both.b.close()]);
  });
  return both;
}

function expectRefusal(res: Injected, windowSeconds: number): void {
  expect(res.statusCode).toBe(429);
  expect(res.json()).toEqual({ error: { code: 'rate_limited', message: expect.stringMatching(/^Too many requests/) } });
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
}

describe('one budget per caller over two intake processes', () => {
  const MAX = 300;
  const both = twoIntakes('sharedlimit', { RATE_LIMIT_MAX: String(MAX), RATE_LIMIT_WINDOW_MS: '60000' });

  it('lets exactly RATE_LIMIT_MAX requests through in total when a caller floods both at once, then 429 on both', async () => {
    const { a, b } = both;
    expect(leaseBlock(MAX)).toBe(3);
    const codes: number[] = [];
    // 2 × MAX requests, 40 in flight at a time, spread over both processes.
    for (let sent = 0; sent < 2 * MAX; sent += 40) {
      const batch = await Promise.all(
        Array.from({ length: 40 }, (_, i) => {
          const t = (sent + i) % 2 === 0 ? a : b;
          return t.app.inject({ method: 'GET', url: '/v1/resets?limit=1', headers: t.auth('operator') });
        }),
      );
      codes.push(...batch.map((res) => res.statusCode));
    }
    expect(codes.filter((c) => c === 200)).toHaveLength(MAX);
    expect(codes.filter((c) => c !== 200 && c !== 429)).toEqual([]);
    // Each process has its own token for the operator: the bucket is the caller's, not the token's or the process's.
    expectRefusal(await a.app.inject({ method: 'GET', url: '/v1/resets', headers: a.auth('operator') }), 60);
    expectRefusal(await b.app.inject({ method: 'GET', url: '/v1/resets', headers: b.auth('operator') }), 60);
    // Redis handed out the window's budget and not one request more.
    expect(await a.redis.get(storeKeys(a.prefix).rateLimit('caller:operator'))).toBe(String(MAX));
    // Another caller's budget is untouched.
    expect((await b.app.inject({ method: 'GET', url: '/v1/resets', headers: b.auth('approver') })).statusCode).toBe(200);
  });
});

describe('failed authentication over two intake processes', () => {
  const MAX = 5;
  const both = twoIntakes('sharedauth', { RATE_LIMIT_MAX: String(MAX), RATE_LIMIT_WINDOW_MS: '60000' });

  it('counts wrong tokens from one address on both processes together: 401 until the budget is spent, then 429', async () => {
    const { a, b } = both;
    const attacker = '203.0.113.66';
    const codes: number[] = [];
    for (let i = 0; i < MAX + 4; i++) {
      const res = await (i % 2 === 0 ? a : b).app.inject({ method: 'GET', url: '/v1/resets', remoteAddress: attacker, headers: { authorization: `Bearer rpt_guess-${String(i).padStart(10, '0')}` } });
      codes.push(res.statusCode);
      if (res.statusCode === 429) expectRefusal(res, 60);
    }
    expect(codes).toEqual([401, 401, 401, 401, 401, 429, 429, 429, 429]);
    // Another address still gets its 401s: one flood does not starve the others.
    expect((await b.app.inject({ method: 'GET', url: '/v1/resets', remoteAddress: '203.0.113.67', headers: { authorization: 'Bearer rpt_guess-elsewhere' } })).statusCode).toBe(401);
  });
});

describe('the end of a window', () => {
  const MAX = 4;
  const both = twoIntakes('sharedwindow', { RATE_LIMIT_MAX: String(MAX), RATE_LIMIT_WINDOW_MS: '2000' });

  const list = (t: TestIntake) => t.app.inject({ method: 'GET', url: '/v1/resets?limit=1', headers: t.auth('operator') });

  it('gives the caller its whole budget again once the window has ended, and no more', async () => {
    const { a, b } = both;
    const first = [];
    for (let i = 0; i < MAX + 1; i++) first.push(await list(i % 2 === 0 ? a : b));
    expect(first.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 429]);
    expectRefusal(first[MAX] as Injected, 2);

    // The next window starts with the first request after this one ended.
    await waitFor(async () => (await list(b)).statusCode === 200, 5000, 'the window to end');
    const second = [];
    for (let i = 0; i < MAX; i++) second.push((await list(i % 2 === 0 ? a : b)).statusCode);
    expect(second).toEqual([200, 200, 200, 429]);
  });
});

describe('Redis down', () => {
  let redis: SpawnedRedis;
  let down: TestIntake;

  beforeAll(async () => {
    redis = await spawnRedisServer();
    down = await createTestIntake('limitdown', { RATE_LIMIT_MAX: '1000', REDIS_COMMAND_TIMEOUT_MS: '500' }, redis.url);
  });

  afterAll(async () => {
    await down.close();
    await redis.stop().catch(() => undefined);
  });

  it('steps the limiter aside: the route answers 503, never 429 or 500, and 200 once Redis is back', async () => {
    await waitFor(async () => (await down.app.inject({ method: 'GET', url: '/v1/resets', headers: down.auth('operator') })).statusCode === 200, 10_000, 'a 200 with Redis up');
    const exited = new Promise((r) => redis.process.once('exit', r));
    redis.process.kill('SIGTERM');
    await exited;
    await waitFor(() => down.redis.status !== 'ready', 5000, 'the client to notice');
    // The first request may still pass on this process's lease; the others ask Redis for one, and fail over to the route.
    for (let i = 0; i < 12; i++) {
      const res = await down.app.inject({ method: 'GET', url: '/v1/resets', headers: down.auth('operator') });
      expect(res.statusCode).toBe(503);
    }
    const anonymous = await down.app.inject({ method: 'GET', url: '/v1/resets', remoteAddress: '203.0.113.90', headers: { authorization: 'Bearer rpt_guess-while-down' } });
    expect(anonymous.statusCode).toBe(401);

    // Redis back: the caller's budget is counted again, from a fresh lease.
    redis = await spawnRedisServer({ port: redis.port, dir: redis.dir });
    await waitFor(() => down.redis.status === 'ready', 10_000, 'the client to reconnect');
    await waitFor(async () => (await down.app.inject({ method: 'GET', url: '/v1/resets', headers: down.auth('operator') })).statusCode === 200, 10_000, 'a 200 again');
  });
});

describe('the leases kept by one process', () => {
  let redis: Redis;
  const prefix = uniquePrefix('leases');
  const keyOf = storeKeys(prefix).rateLimit;

  beforeAll(async () => {
    redis = createRedis(testRedisUrl(), 'producer', { commandTimeoutMs: 5000 });
    await waitForReady(redis, 5000);
  });

  afterAll(async () => {
    await redis.quit();
  });

  it('never lets more than max through in total, whatever the number of processes and requests in flight', async () => {
    const max = 2_000;
    const processes = Array.from({ length: 5 }, () => new RateLimitLeases(redis));
    const counted = await Promise.all(processes.flatMap((p) => Array.from({ length: 1_000 }, async () => p.count(keyOf('caller:flood'), max, 60_000))));
    expect(counted.filter((c) => c.current <= max)).toHaveLength(max);
    expect(counted.every((c) => c.ttl > 0 && c.ttl <= 60_000)).toBe(true);
  });

  it('asks Redis once per block, not once per request', async () => {
    const leases = new RateLimitLeases(redis);
    const key = keyOf('caller:blocks');
    for (let i = 0; i < 49; i++) await leases.count(key, 5_000, 60_000);
    // A block of 50 (1% of 5,000, at most 50): one lease so far.
    expect(await redis.get(key)).toBe('50');
    await leases.count(key, 5_000, 60_000);
    await leases.count(key, 5_000, 60_000);
    expect(await redis.get(key)).toBe('100');
  });

  it('remembers a bounded number of buckets under a flood of distinct addresses', async () => {
    const leases = new RateLimitLeases(redis, { maxBuckets: 100 });
    for (let i = 0; i < 1_000; i++) {
      const counted = await leases.count(keyOf(`ip:198.18.${String(i >> 8)}.${String(i & 255)}`), 600, 60_000);
      expect(counted.current).toBe(1);
      expect(leases.size).toBeLessThanOrEqual(100);
    }
  });

  it('gives a busy caller its whole budget while more distinct addresses than it remembers arrive in between', async () => {
    const leases = new RateLimitLeases(redis, { maxBuckets: 50 });
    const max = 500;
    const busy = keyOf('caller:busy');
    const busyCounts: number[] = [];
    for (let i = 0; i < max; i++) {
      busyCounts.push((await leases.count(busy, max, 60_000)).current);
      // 20 new addresses between two of the caller's requests: 10,000 in all, 200 times the buckets remembered.
      await Promise.all(Array.from({ length: 20 }, async (_, j) => leases.count(keyOf(`ip:busyflood-${String(i)}-${String(j)}`), 600, 60_000)));
    }
    // Its lease was never dropped: every request was let through, and Redis handed out no more than it used.
    expect(busyCounts.filter((current) => current > max)).toHaveLength(0);
    expect(await redis.get(busy)).toBe(String(max));
    expect((await leases.count(busy, max, 60_000)).current).toBe(max + 1);
  });

  it('forgets the buckets that hold nothing before a quiet caller whose lease is not used up', async () => {
    const leases = new RateLimitLeases(redis, { maxBuckets: 50 });
    const quiet = keyOf('caller:quiet');
    // A block of 5: the caller uses 1 and holds 4.
    await leases.count(quiet, 500, 60_000);
    // 200 addresses that each use the whole block they leased (a budget of 2 leases 1 at a time).
    for (let i = 0; i < 200; i++) await leases.count(keyOf(`ip:quietflood-${String(i)}`), 2, 60_000);
    // The caller's 4 come from the lease it holds, not from Redis.
    for (let i = 2; i <= 5; i++) expect((await leases.count(quiet, 500, 60_000)).current).toBe(i);
    expect(await redis.get(quiet)).toBe('5');
  });
});
