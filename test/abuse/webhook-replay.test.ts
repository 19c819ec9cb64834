import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { connect, type AddressInfo } from 'node:net';
import { testRedisUrl, uniquePrefix } from '../support/env';
import { JIRA_SECRET, SERVICENOW_SECRET, createTestIntake, type TestIntake } from '../support/intake';
import { jiraHeaders, jiraIssueCreated, serviceNowDelivery, serviceNowHeaders } from '../support/webhooks';

/**
 * Replays that change only what a webhook's signature does not cover (issue 10, finding 4).
 *
 * - ServiceNow: the intake trims X-ResetPC-Signature before checking it, and `String.prototype.trim` removes every
 *   ECMAScript WhiteSpace, U+00A0 and the other Unicode spaces included (ECMA-262, "WhiteSpace" and
 *   "String.prototype.trim"). Node reads header bytes as latin1, so a raw 0xA0 byte arrives as U+00A0. Padding the
 *   header of a captured delivery must not make it a new delivery.
 * - Jira: X-Hub-Signature is an HMAC of the body alone; X-Atlassian-Webhook-Identifier is not signed
 *   (developer.atlassian.com/cloud/jira/platform/webhooks, "Secure admin webhooks"). A captured body sent again under
 *   a new identifier, or none, must be a duplicate.
 *
 * Each replay is answered as a replay and leaves no second request and no second job.
 */
describe('webhook replays that change only unsigned bytes', () => {
  let t: TestIntake;

  beforeAll(async () => {
    t = await createTestIntake('replay', { RATE_LIMIT_MAX: '100000' });
  });

  afterAll(async () => {
    await t.close();
  });

  async function stored(): Promise<{ requests: number; jobs: number }> {
    const counts = await t.queues.reset.getJobCounts();
    return { requests: await t.redis.zcard(t.store.keys.byCreated), jobs: Object.values(counts).reduce((a, b) => a + b, 0) };
  }

  const post = (url: string, headers: Record<string, string>, raw: string) => t.app.inject({ method: 'POST', url, headers, payload: raw });

  /** Sends one HTTP/1.1 request as raw bytes over TCP, as an attacker's own client would, and returns the status. */
  async function sendRaw(port: number, head: Buffer, body: string): Promise<number> {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve).once('error', reject);
    });
    socket.write(Buffer.concat([head, Buffer.from(body, 'utf8')]));
    await new Promise<void>((resolve, reject) => {
      socket.once('close', () => {
        resolve();
      }).once('error', reject);
    });
    const status = /^HTTP\/1\.1 (\d{3})/.exec(Buffer.concat(chunks).toString('latin1'))?.[1];
    return Number(status);
  }

  describe('ServiceNow', () => {
    const url = '/v1/webhooks/servicenow';

    it.each([
      ['a trailing U+00A0', (s: string) => `${s}\u00a0`],
      ['a leading U+00A0', (s: string) => `\u00a0${s}`],
      ['U+00A0 on both sides', (s: string) => `\u00a0\u00a0${s}\u00a0`],
      ['a trailing tab', (s: string) => `${s}\t`],
      ['U+00A0 and tabs mixed', (s: string) => `${s}\t\u00a0\t\u00a0`],
      ['the same digits in upper case', (s: string) => `v1=${s.slice(3).toUpperCase()}`],
    ])('refuses the same delivery with %s in X-ResetPC-Signature as a replay (409), and makes no second request', async (_label, pad) => {
      const delivery = serviceNowDelivery({ number: `INC00${String(Math.floor(Math.random() * 90_000) + 60_000)}`, serial: `REPLAY-S-${randomUUID().slice(0, 8)}` });
      const raw = JSON.stringify(delivery);
      const headers = serviceNowHeaders(SERVICENOW_SECRET, raw);
      const first = await post(url, headers, raw);
      expect(first.statusCode).toBe(202);
      const after = await stored();

      const padded = await post(url, { ...headers, 'x-resetpc-signature': pad(headers['x-resetpc-signature'] ?? '') }, raw);
      expect({ status: padded.statusCode, code: padded.json<{ error?: { code: string } }>().error?.code }).toEqual({ status: 409, code: 'replayed_delivery' });
      expect(await stored()).toEqual(after);
      expect((await t.store.list({ ticket: delivery.number }, 10)).items).toHaveLength(1);
    });

    it('refuses a replay whose signature header ends in raw 0xA0 bytes sent over TCP, and makes no second request', async () => {
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = t.app.server.address() as AddressInfo;
      const delivery = serviceNowDelivery({ number: 'INC0069001', serial: 'REPLAY-S-TCP' });
      const raw = JSON.stringify(delivery);
      const headers = serviceNowHeaders(SERVICENOW_SECRET, raw);
      const headFor = (signatureBytes: Buffer): Buffer =>
        Buffer.concat([
          Buffer.from(
            `POST ${url} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${String(Buffer.byteLength(raw))}\r\n` +
              `Connection: close\r\nX-ResetPC-Timestamp: ${headers['x-resetpc-timestamp'] ?? ''}\r\nX-ResetPC-Signature: `,
            'latin1',
          ),
          signatureBytes,
          Buffer.from('\r\n\r\n', 'latin1'),
        ]);
      const signature = Buffer.from(headers['x-resetpc-signature'] ?? '', 'latin1');
      expect(await sendRaw(port, headFor(signature), raw)).toBe(202);
      const after = await stored();
      for (const padding of [[0xa0], [0xa0, 0xa0, 0xa0], [0x09, 0xa0]]) {
        expect(await sendRaw(port, headFor(Buffer.concat([signature, Buffer.from(padding)])), raw)).toBe(409);
      }
      expect(await stored()).toEqual(after);
    });
  });

  describe('Jira', () => {
    const url = '/v1/webhooks/jira';

    it('acknowledges the same signed body under a new, a missing or a malformed identifier as a duplicate, and makes no second request', async () => {
      const raw = JSON.stringify(jiraIssueCreated({ key: 'HD-601', serial: 'REPLAY-J-601' }));
      const headers = jiraHeaders(JIRA_SECRET, raw);
      expect((await post(url, headers, raw)).statusCode).toBe(202);
      const after = await stored();
      const withoutIdentifier = Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'x-atlassian-webhook-identifier'));
      const replays: [string, Record<string, string>][] = [
        ['a new identifier', { ...headers, 'x-atlassian-webhook-identifier': randomUUID() }],
        ['a second new identifier, as a retry', { ...headers, 'x-atlassian-webhook-identifier': randomUUID(), 'x-atlassian-webhook-retry': '1' }],
        ['no identifier', withoutIdentifier],
        ['an empty identifier', { ...headers, 'x-atlassian-webhook-identifier': '' }],
        ['an identifier with spaces', { ...headers, 'x-atlassian-webhook-identifier': 'not a valid identifier' }],
      ];
      for (const [label, h] of replays) {
        const res = await post(url, h, raw);
        expect({ label, status: res.statusCode, body: res.json<unknown>() }).toEqual({ label, status: 200, body: { status: 'duplicate' } });
      }
      expect(await stored()).toEqual(after);
      expect((await t.store.list({ ticket: 'HD-601' }, 10)).items).toHaveLength(1);
    });

    it('acknowledges the body as a duplicate after its request has finished, instead of processing it again', async () => {
      const raw = JSON.stringify(jiraIssueCreated({ key: 'HD-602', serial: 'REPLAY-J-602' }));
      const { id } = (await post(url, jiraHeaders(JIRA_SECRET, raw), raw)).json<{ id: string }>();
      const record = await t.store.get(id);
      await t.redis.hset(t.store.keys.request(id), 'state', 'succeeded');
      if (record !== undefined) await t.store.release(id, record.request);
      const after = await stored();

      const replay = await post(url, jiraHeaders(JIRA_SECRET, raw, randomUUID()), raw);
      expect(replay.json()).toEqual({ status: 'duplicate' });
      expect(await stored()).toEqual(after);
    });

    it('accepts exactly one of twenty copies of one body sent at once, each under its own identifier', async () => {
      const before = await stored();
      const raw = JSON.stringify(jiraIssueCreated({ key: 'HD-603', serial: 'REPLAY-J-603' }));
      const answers = await Promise.all(Array.from({ length: 20 }, () => post(url, jiraHeaders(JIRA_SECRET, raw, randomUUID()), raw)));
      expect(answers.filter((a) => a.statusCode === 202)).toHaveLength(1);
      expect(answers.filter((a) => a.statusCode === 200).map((a) => a.json<{ status: string }>().status)).toEqual(Array.from({ length: 19 }, () => 'duplicate'));
      expect(await stored()).toEqual({ requests: before.requests + 1, jobs: before.jobs + 1 });
    });

    it('forgets both the identifier and the body of a delivery whose processing failed, so Jira\'s retry is processed', async () => {
      const admin = new Redis(testRedisUrl());
      const prefix = uniquePrefix('replayfail');
      const user = `replayfail-${String(Date.now())}`;
      // This user may remember deliveries, but not store requests: the submission fails after the delivery is claimed.
      await admin.acl('SETUSER', user, 'on', '>replayfail-password', `~${prefix}:replay:*`, `~${prefix}:ratelimit:*`, `~${prefix}:reset:*`, `~${prefix}:notify:*`, '+@all');
      const limited = new URL(testRedisUrl());
      limited.username = user;
      limited.password = 'replayfail-password';
      const failing = await createTestIntake('replayfail', { REDIS_PREFIX: prefix }, limited.toString());
      try {
        const raw = JSON.stringify(jiraIssueCreated({ key: 'HD-604', serial: 'REPLAY-J-604' }));
        const headers = jiraHeaders(JIRA_SECRET, raw);
        const res = await failing.app.inject({ method: 'POST', url, headers, payload: raw });
        expect(res.statusCode).toBeGreaterThanOrEqual(500);
        expect(await admin.keys(`${prefix}:replay:*`)).toEqual([]);

        // Jira's retry (same identifier, same body) reaches an intake that can store it, and is processed.
        const healthy = await createTestIntake('replayfail', { REDIS_PREFIX: prefix });
        try {
          const retry = await healthy.app.inject({ method: 'POST', url, headers: { ...headers, 'x-atlassian-webhook-retry': '1' }, payload: raw });
          expect(retry.statusCode).toBe(202);
        } finally {
          await healthy.close();
        }
      } finally {
        await failing.close();
        await admin.acl('DELUSER', user);
        admin.disconnect();
      }
    });

    it('gives back the body\'s mark when Redis refuses to remember the identifier, so Jira\'s retry is not a duplicate', async () => {
      const admin = new Redis(testRedisUrl());
      const prefix = uniquePrefix('replayhalf');
      const user = `replayhalf-${String(Date.now())}`;
      // This user may remember a body, but not an identifier: the delivery is claimed half way, then Redis refuses.
      await admin.acl('SETUSER', user, 'on', '>replayhalf-password', `~${prefix}:replay:jira:body:*`, `~${prefix}:ratelimit:*`, '+@all');
      const limited = new URL(testRedisUrl());
      limited.username = user;
      limited.password = 'replayhalf-password';
      const failing = await createTestIntake('replayhalf', { REDIS_PREFIX: prefix }, limited.toString());
      try {
        const raw = JSON.stringify(jiraIssueCreated({ key: 'HD-605', serial: 'REPLAY-J-605' }));
        const headers = jiraHeaders(JIRA_SECRET, raw);
        const res = await failing.app.inject({ method: 'POST', url, headers, payload: raw });
        expect(res.statusCode).toBeGreaterThanOrEqual(500);
        expect(await admin.keys(`${prefix}:replay:*`)).toEqual([]);
      } finally {
        await failing.close();
        await admin.acl('DELUSER', user);
        admin.disconnect();
      }
    });
  });
});
