import { backoffMs, MAX_RETRY_AFTER_MS, retryDelayMs } from '../../src/remote/backoff';

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
