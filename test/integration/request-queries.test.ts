import type { Redis } from 'ioredis';
import { AppError } from '../../src/app/errors';
import { createRequestQueries } from '../../src/app/request-queries';
import { createRedis, waitForReady } from '../../src/redis/connection';
import { RequestStore } from '../../src/store/requests';
import { testRedisUrl, uniquePrefix } from '../support/env';
import { storeNewRequest } from '../support/stored-request';

// The request queries (src/app/request-queries.ts) that GET /v1/resets, GET /v1/resets/{id} and the dashboard's request
// pages call, over the real RequestStore and the run's real Redis: the cursor stays the store's, and a cursor the
// store never wrote is a typed refusal, not a read.
const prefix = uniquePrefix('queries');

describe('request queries', () => {
  let redis: Redis;
  let store: RequestStore;
  let queries: ReturnType<typeof createRequestQueries>;

  beforeAll(async () => {
    redis = createRedis(testRedisUrl(), 'producer', { name: 'request-queries-test' });
    await waitForReady(redis, 5000);
    store = new RequestStore(redis, prefix);
    queries = createRequestQueries({ requests: store });
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('reads a request with its timeline, and refuses an id that has none as not_found', async () => {
    const request = await storeNewRequest(store, 'QUERIES-GET-1');
    const found = await queries.get(request.id);
    expect(found.request).toEqual(request);
    expect(found.timeline.map((t) => t.to)).toEqual(['received']);

    const missing = '00000000-0000-4000-8000-000000000000';
    const refusal = queries.get(missing);
    await expect(refusal).rejects.toBeInstanceOf(AppError);
    await expect(refusal).rejects.toMatchObject({ kind: 'not_found', code: 'not_found', message: `No request with id ${missing}` });
  });

  it('pages through a filter with the cursors it hands out, each request once', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add((await storeNewRequest(store, `QUERIES-PAGE-${String(i)}`)).id);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await queries.list({ requester: 'ANNA@contoso.com', state: 'received' }, 2, cursor);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((r) => r.id).filter((id) => ids.has(id)));
      if (page.nextCursor === null) break;
      expect(queries.isCursor(page.nextCursor)).toBe(true);
      cursor = page.nextCursor;
    }
    expect(seen.toSorted()).toEqual([...ids].toSorted());
  });

  it('refuses a cursor it did not write with the API\'s validation_failed, before reading anything', async () => {
    for (const cursor of ['nonsense', '', Buffer.from('12:not-an-id', 'utf8').toString('base64url')]) {
      expect(queries.isCursor(cursor)).toBe(false);
      const refusal = queries.list({}, 10, cursor);
      await expect(refusal).rejects.toBeInstanceOf(AppError);
      await expect(refusal).rejects.toMatchObject({
        kind: 'invalid',
        code: 'validation_failed',
        message: 'cursor is not valid',
        details: [{ field: 'querystring.cursor', message: 'not a cursor from this API' }],
      });
    }
  });
});
