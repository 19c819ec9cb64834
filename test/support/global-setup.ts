import { startTestRedis, type TestRedis } from './redis';

declare global {
  var __TEST_REDIS__: TestRedis | undefined;
}

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const redis = await startTestRedis();
  globalThis.__TEST_REDIS__ = redis;
  process.env.TEST_REDIS_URL = redis.url;
  process.stdout.write(`\n[test] Redis via ${redis.via} at ${redis.url} (${Date.now() - started} ms)\n`);
}
