import { createHmac, randomUUID } from 'node:crypto';
import { JIRA_SECRET, SERVICENOW_SECRET, createTestIntake, type TestIntake } from '../support/intake';
import { jiraHeaders, jiraIssueCreated, serviceNowDelivery, serviceNowHeaders } from '../support/webhooks';

/**
 * Webhook abuse: forged, re-signed with another secret, signed over another body or timestamp, replayed (one by
 * one and all at once), stale or from the future. Every refusal stores and queues nothing; every replay has no effect.
 */
describe('webhook abuse', () => {
  let t: TestIntake;

  beforeAll(async () => {
    t = await createTestIntake('abusewh', { RATE_LIMIT_MAX: '100000' });
  });

  afterAll(async () => {
    await t.close();
  });

  async function stored(): Promise<{ requests: number; jobs: number }> {
    const counts = await t.queues.reset.getJobCounts();
    return { requests: await t.redis.zcard(t.store.keys.byCreated), jobs: Object.values(counts).reduce((a, b) => a + b, 0) };
  }

  const post = (url: string, headers: Record<string, string>, raw: string) => t.app.inject({ method: 'POST', url, headers, payload: raw });

  describe('Jira', () => {
    const url = '/v1/webhooks/jira';

    it('refuses forged, re-signed, other-body, stale and future deliveries, and stores nothing', async () => {
      const before = await stored();
      const payload = jiraIssueCreated({ key: 'HD-501', serial: 'ABUSE-J-501' });
      const raw = JSON.stringify(payload);
      const cases: [string, Record<string, string>, string, number, string][] = [
        ['forged', { ...jiraHeaders(JIRA_SECRET, raw), 'x-hub-signature': `sha256=${createHmac('sha256', randomUUID()).update(raw).digest('hex')}` }, raw, 401, 'invalid_signature'],
        ['re-signed with another secret', jiraHeaders('jira-secret-of-someone-else-0001', raw), raw, 401, 'invalid_signature'],
        ['signed over a different body', jiraHeaders(JIRA_SECRET, raw), raw.replace('ABUSE-J-501', 'ABUSE-J-666'), 401, 'invalid_signature'],
        ['signed over the body plus a trailing space', jiraHeaders(JIRA_SECRET, `${raw} `), raw, 401, 'invalid_signature'],
        ['with the signature of the empty body', jiraHeaders(JIRA_SECRET, ''), raw, 401, 'invalid_signature'],
      ];
      const stale = JSON.stringify(jiraIssueCreated({ key: 'HD-502', serial: 'ABUSE-J-502', timestamp: Date.now() - 2 * 3_600_000 }));
      const future = JSON.stringify(jiraIssueCreated({ key: 'HD-503', serial: 'ABUSE-J-503', timestamp: Date.now() + 2 * 3_600_000 }));
      cases.push(['stale', jiraHeaders(JIRA_SECRET, stale), stale, 400, 'stale_delivery'], ['from the future', jiraHeaders(JIRA_SECRET, future), future, 400, 'stale_delivery']);
      for (const [label, headers, body, status, code] of cases) {
        const res = await post(url, headers, body);
        expect({ label, status: res.statusCode, code: res.json<{ error?: { code: string } }>().error?.code }).toEqual({ label, status, code });
      }
      expect(await stored()).toEqual(before);
    });

    it('gives a replay no effect: the same body is a duplicate under the same, a new or an empty identifier', async () => {
      const raw = JSON.stringify(jiraIssueCreated({ key: 'HD-510', serial: 'ABUSE-J-510' }));
      const headers = jiraHeaders(JIRA_SECRET, raw);
      const first = await post(url, headers, raw);
      expect(first.statusCode).toBe(202);
      const after = await stored();
      // The identifier header is not signed: an attacker who captured a delivery can change it.
      const replays = [headers, { ...headers, 'x-atlassian-webhook-identifier': randomUUID() }, { ...headers, 'x-atlassian-webhook-identifier': '' }];
      for (const h of replays) {
        const res = await post(url, h, raw);
        expect(res.statusCode).toBe(200);
        expect(res.json<{ status: string }>().status).toBe('duplicate');
      }
      expect(await stored()).toEqual(after);
    });

    it('accepts exactly one of twenty identical deliveries sent at once', async () => {
      const before = await stored();
      const raw = JSON.stringify(jiraIssueCreated({ key: 'HD-520', serial: 'ABUSE-J-520' }));
      const headers = jiraHeaders(JIRA_SECRET, raw);
      const answers = await Promise.all(Array.from({ length: 20 }, () => post(url, headers, raw)));
      expect(answers.filter((a) => a.statusCode === 202)).toHaveLength(1);
      for (const a of answers) expect(a.statusCode).toBeLessThan(500);
      expect(await stored()).toEqual({ requests: before.requests + 1, jobs: before.jobs + 1 });
    });
  });

  describe('ServiceNow', () => {
    const url = '/v1/webhooks/servicenow';

    it('refuses forged, re-signed, other-body, other-timestamp, stale and future deliveries, and stores nothing', async () => {
      const before = await stored();
      const raw = JSON.stringify(serviceNowDelivery({ number: 'INC0050001', serial: 'ABUSE-S-1' }));
      const now = Math.floor(Date.now() / 1000);
      const good = serviceNowHeaders(SERVICENOW_SECRET, raw, now);
      const cases: [string, Record<string, string>, string, string][] = [
        ['forged', { ...good, 'x-resetpc-signature': `v1=${'ab'.repeat(32)}` }, raw, 'invalid_signature'],
        ['re-signed with another secret', serviceNowHeaders('servicenow-secret-of-someone-else', raw, now), raw, 'invalid_signature'],
        ['signed over a different body', good, raw.replace('ABUSE-S-1', 'ABUSE-S-6'), 'invalid_signature'],
        ['signed for another timestamp', { ...good, 'x-resetpc-timestamp': String(now - 1) }, raw, 'invalid_signature'],
        ['without a timestamp', { 'content-type': 'application/json', 'x-resetpc-signature': good['x-resetpc-signature'] ?? '' }, raw, 'invalid_signature'],
        ['with a timestamp that is not a number', { ...good, 'x-resetpc-timestamp': `${String(now)}.0` }, raw, 'invalid_signature'],
        ['stale (signed ten minutes ago)', serviceNowHeaders(SERVICENOW_SECRET, raw, now - 600), raw, 'stale_delivery'],
        ['from the future', serviceNowHeaders(SERVICENOW_SECRET, raw, now + 600), raw, 'stale_delivery'],
      ];
      for (const [label, headers, body, code] of cases) {
        const res = await post(url, headers, body);
        expect({ label, status: res.statusCode, code: res.json<{ error?: { code: string } }>().error?.code }).toEqual({ label, status: 401, code });
      }
      expect(await stored()).toEqual(before);
    });

    it('refuses a replay with 409, one by one and twenty at once, after accepting the original once', async () => {
      const raw = JSON.stringify(serviceNowDelivery({ number: 'INC0050010', serial: 'ABUSE-S-10' }));
      const headers = serviceNowHeaders(SERVICENOW_SECRET, raw);
      const first = await post(url, headers, raw);
      expect(first.statusCode).toBe(202);
      const after = await stored();
      const replay = await post(url, headers, raw);
      expect(replay.statusCode).toBe(409);
      expect(replay.json()).toMatchObject({ error: { code: 'replayed_delivery' } });

      const burstRaw = JSON.stringify(serviceNowDelivery({ number: 'INC0050011', serial: 'ABUSE-S-11' }));
      const burstHeaders = serviceNowHeaders(SERVICENOW_SECRET, burstRaw);
      const answers = await Promise.all(Array.from({ length: 20 }, () => post(url, burstHeaders, burstRaw)));
      expect(answers.map((a) => a.statusCode).sort()).toEqual([202, ...Array.from({ length: 19 }, () => 409)]);
      expect(await stored()).toEqual({ requests: after.requests + 1, jobs: after.jobs + 1 });
    });
  });
});
