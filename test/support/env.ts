import { randomBytes } from 'node:crypto';

/** The run's Redis, started by global-setup. */
export function testRedisUrl(): string {
  const url = process.env.TEST_REDIS_URL;
  if (url === undefined) throw new Error('TEST_REDIS_URL is not set: run the tests through jest (global-setup starts Redis)');
  return url;
}

/** A key prefix of this test file's own, a Redis Cluster hash tag, so no test sees another's keys or queues. */
export function uniquePrefix(label: string): string {
  return `{t-${label.replace(/[^A-Za-z0-9]/g, '').slice(0, 12)}-${randomBytes(4).toString('hex')}}`;
}

/** Polls `check` every `intervalMs` until it returns true, or fails after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition', intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
