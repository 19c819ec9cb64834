import { createRedis, reconnectDelayMs } from '../../src/redis/connection';
import { backoffMs, MAX_RETRY_AFTER_MS, retryDelayMs } from '../../src/remote/backoff';
import { testRedisUrl } from '../support/env';

describe('the one backoff', () => {
  it.each([
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
    [9, 256_000],
    [10, 300_000],
    [1_000, 300_000],
  ])('doubles from the base after failure %i, up to the cap: %i ms', (n, ms) => {
    expect(backoffMs(n, { baseMs: 1_000, maxMs: 300_000 })).toBe(ms);
  });

  it('counts NaN and anything below 1 as the first failure', () => {
    expect([Number.NaN, 0, -3].map((n) => backoffMs(n, { baseMs: 500, maxMs: 10_000 }))).toEqual([500, 500, 500]);
  });

  it('takes up to the jitter share off at random, and nothing when random gives 0', () => {
    const policy = { baseMs: 1_000, maxMs: 60_000, jitter: 0.5 };
    expect(backoffMs(3, policy, () => 0)).toBe(4_000);
    expect(backoffMs(3, policy, () => 1)).toBe(2_000);
    expect(backoffMs(3, policy, () => 0.25)).toBe(3_500);
  });

  it('never waits less than the remote end asked, nor longer than a day for it', () => {
    const policy = { baseMs: 1_000, maxMs: 60_000 };
    expect(retryDelayMs(1, policy, 7_000)).toBe(7_000);
    expect(retryDelayMs(5, policy, 7_000)).toBe(16_000);
    expect(retryDelayMs(1, policy, undefined)).toBe(1_000);
    expect(retryDelayMs(1, policy, 90 * 86_400_000)).toBe(MAX_RETRY_AFTER_MS);
  });
});

describe('reconnecting to Redis', () => {
  it.each([
    [1, 200],
    [2, 400],
    [3, 800],
    [5, 3_200],
    [6, 5_000],
    [1_000, 5_000],
  ])('waits, before reconnect attempt %i, at most %i ms (200 ms doubling to 5 s)', (times, ms) => {
    expect(reconnectDelayMs(times, () => 0)).toBe(ms);
  });

  it('takes up to half of each wait off at random, so clients restarted together do not reconnect together', () => {
    expect(reconnectDelayMs(3, () => 1)).toBe(400);
    expect(reconnectDelayMs(7, () => 0.5)).toBe(3_750);
    const crowd = Array.from({ length: 200 }, () => reconnectDelayMs(4));
    expect(Math.min(...crowd)).toBeGreaterThanOrEqual(800);
    expect(Math.max(...crowd)).toBeLessThanOrEqual(1_600);
    expect(new Set(crowd).size).toBeGreaterThan(50);
  });

  it('is the retry strategy of every connection the product opens', () => {
    const redis = createRedis(testRedisUrl(), 'worker', { name: 'backoff-test' });
    try {
      const strategy = redis.options.retryStrategy;
      const waits = Array.from({ length: 50 }, () => strategy?.(6));
      expect(waits.every((ms) => typeof ms === 'number' && ms >= 2_500 && ms <= 5_000)).toBe(true);
      expect(new Set(waits).size).toBeGreaterThan(1);
    } finally {
      redis.disconnect();
    }
  });
});
