import { Redis } from 'ioredis';
import { z } from 'zod';
import { defineScript } from '../../src/redis/commands';
import { createRedis, waitForReady } from '../../src/redis/connection';
import { TenantControlStore } from '../../src/store/tenant-controls';
import { testRedisUrl, uniquePrefix } from '../support/env';

// The Lua scripts run as ioredis commands (defineCommand). These tests use the clients production makes (auto-pipelined
// producers) and a plain client, against the run's real Redis.
const prefix = uniquePrefix('scripts');
const TENANT = '11111111-2222-3333-4444-555555555555';

describe('Lua scripts as typed Redis commands', () => {
  let producer: Redis;
  let plain: Redis;

  beforeAll(async () => {
    producer = createRedis(testRedisUrl(), 'producer', { name: 'scripts-test' });
    plain = new Redis(testRedisUrl());
    await waitForReady(producer, 5000);
  });

  afterAll(async () => {
    const keys = await plain.keys(`${prefix}*`);
    if (keys.length > 0) await plain.del(...keys);
    producer.disconnect();
    plain.disconnect();
  });

  it('admits submissions through the script, in the same tick as other commands on an auto-pipelined client', async () => {
    const control = new TenantControlStore(producer, prefix, 2);
    const [first, , second, third] = await Promise.all([control.admit(TENANT, 'r1'), producer.get(`${prefix}:other`), control.admit(TENANT, 'r2'), control.admit(TENANT, 'r3')]);
    expect([first, second, third]).toEqual([{ ok: true }, { ok: true }, { ok: false, why: 'blast_radius', used: 2, limit: 2 }]);
  });

  it('runs again after Redis forgot its scripts (NOSCRIPT), on both kinds of client', async () => {
    const control = new TenantControlStore(producer, prefix, 10);
    const viaPlain = new TenantControlStore(plain, prefix, 10);
    await control.admit(TENANT, 'before-flush');
    await viaPlain.admit(TENANT, 'before-flush-plain');
    await plain.script('FLUSH');
    await expect(control.admit(TENANT, 'after-flush')).resolves.toEqual({ ok: true });
    await expect(viaPlain.admit(TENANT, 'after-flush-plain')).resolves.toEqual({ ok: true });
    expect((await control.settings(TENANT)).blastRadius.usedLastHour).toBe(6);
  });

  it('refuses a reply that is not the declared shape, naming the script', async () => {
    const wrong = defineScript<[value: string], number>('resetpcTestWrongReply', 'return ARGV[1]', z.number());
    await expect(wrong.run(plain, [`${prefix}:unused`], ['not a number'])).rejects.toThrow('the Redis script resetpcTestWrongReply returned an unexpected reply');
  });

  it('refuses two different scripts under one name', () => {
    defineScript('resetpcTestSameName', 'return 1');
    expect(() => defineScript('resetpcTestSameName', 'return 2')).toThrow('two different Lua scripts are both named resetpcTestSameName');
  });
});
