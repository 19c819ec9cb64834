/**
 * The simulated Jira's webhook sender delivering to the REAL intake over HTTP (Jira Cloud platform "Webhooks" page:
 * jira:issue_created / jira:issue_updated bodies, X-Hub-Signature, X-Atlassian-Webhook-Identifier and -Retry, and
 * retries on 408/409/425/429/5xx and network errors).
 * Page: https://developer.atlassian.com/cloud/jira/platform/webhooks/
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startJiraSim, type StartedJiraSim } from '@resetpc/sandbox/jira';
import { JIRA_SECRET, createTestIntake, type TestIntake } from '../../support/intake';

let sim: StartedJiraSim;
let t: TestIntake;
let intakeUrl: string;
const fast = { secret: JIRA_SECRET, backoffMs: 5, timeoutMs: 5000 } as const;

beforeAll(async () => {
  sim = await startJiraSim();
  t = await createTestIntake('jirasim', { RATE_LIMIT_MAX: '1000' });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  intakeUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/v1/webhooks/jira`;
});

afterAll(async () => {
  await t.close();
  await sim.close();
});

function newIssue(key: string, serial: string | undefined): void {
  sim.control.addIssue({ projectKey: 'HD', key, summary: 'Locked out of my phone', reporter: 'anna@contoso.com', requestType: { id: '12', name: 'Reset device passcode' }, ...(serial === undefined ? {} : { device: serial }) });
}

async function requestsFor(ticket: string): Promise<number> {
  return (await t.store.list({ ticket }, 10)).items.length;
}

type Mode = 'fail' | 'forward' | 'lostAnswer';
interface Front { readonly url: string; readonly seen: { identifier: string; retry: string }[]; close(): Promise<void> }

/** A hop in front of the intake: answers 503 itself, forwards, or forwards and then answers 503 (a lost answer). */
async function startFront(modes: Mode[]): Promise<Front> {
  const seen: Front['seen'] = [];
  const read = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
    return Buffer.concat(chunks).toString('utf8');
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await read(req);
      seen.push({ identifier: String(req.headers['x-atlassian-webhook-identifier']), retry: String(req.headers['x-atlassian-webhook-retry']) });
      const mode = modes.shift() ?? 'forward';
      if (mode === 'fail') {
        res.writeHead(503).end();
        return;
      }
      const headers = Object.fromEntries(['content-type', 'x-hub-signature', 'x-atlassian-webhook-identifier', 'x-atlassian-webhook-retry'].map((h) => [h, String(req.headers[h])]));
      const answer = await fetch(intakeUrl, { method: 'POST', headers, body });
      const text = await answer.text();
      if (mode === 'lostAnswer') res.writeHead(503).end();
      else res.writeHead(answer.status, { 'content-type': 'application/json' }).end(text);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/webhooks/jira`,
    seen,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => { resolve(); }); }),
  };
}

describe('Jira webhook sender → intake POST /v1/webhooks/jira', () => {
  it('delivers a signed jira:issue_created that the intake accepts (202) as a request for the issue\'s device and reporter', async () => {
    newIssue('HD-100', 'SIM-SN-100');
    const result = await sim.control.sendIssueWebhook('HD-100', 'jira:issue_created', { intakeUrl, ...fast });
    expect(result).toMatchObject({ delivered: true, finalStatus: 202 });
    expect(result.attempts).toHaveLength(1);
    expect(result.attempts[0]).toMatchObject({ retry: 0, status: 202 });
    const { id } = JSON.parse(result.attempts[0]!.responseBody!) as { id: string };
    expect((await t.store.get(id))?.request).toMatchObject({ source: 'jira', device: { kind: 'serialNumber', value: 'SIM-SN-100' }, requestedBy: 'anna@contoso.com', ticket: { system: 'jira', key: 'HD-100' } });

    const body = JSON.parse(result.delivery.rawBody) as Record<string, unknown>;
    expect(body).toMatchObject({ webhookEvent: 'jira:issue_created', issue_event_type_name: 'issue_created', timestamp: expect.any(Number), issue: { key: 'HD-100', fields: { project: { key: 'HD' }, customfield_10050: 'SIM-SN-100' } } });
    expect(body.user).not.toHaveProperty('emailAddress');
  });

  it('gets 200 {"status":"duplicate"} for a retry of the same delivery (same identifier, same bytes), and no second request', async () => {
    newIssue('HD-101', 'SIM-SN-101');
    const first = await sim.control.sendIssueWebhook('HD-101', 'jira:issue_created', { intakeUrl, ...fast });
    expect(first.finalStatus).toBe(202);
    const again = await sim.control.redeliverWebhook(first.delivery, { intakeUrl, ...fast });
    expect(again.attempts).toEqual([expect.objectContaining({ retry: 1, status: 200 })]);
    expect(JSON.parse(again.attempts[0]!.responseBody!)).toEqual({ status: 'duplicate' });
    expect(await requestsFor('HD-101')).toBe(1);
  });

  it('retries after a first 503 and succeeds exactly once, with the same identifier and a growing retry number', async () => {
    newIssue('HD-102', 'SIM-SN-102');
    const front = await startFront(['fail']);
    try {
      const result = await sim.control.sendIssueWebhook('HD-102', 'jira:issue_created', { ...fast, intakeUrl: front.url });
      expect(result.attempts.map((a) => a.status)).toEqual([503, 202]);
      expect(result.delivered).toBe(true);
      expect(front.seen).toEqual([{ identifier: result.delivery.identifier, retry: '0' }, { identifier: result.delivery.identifier, retry: '1' }]);
      expect(await requestsFor('HD-102')).toBe(1);
    } finally {
      await front.close();
    }
  });

  it('retries after a lost answer: the intake answers the retry "duplicate", and the request exists once', async () => {
    newIssue('HD-103', 'SIM-SN-103');
    const front = await startFront(['lostAnswer']);
    try {
      const result = await sim.control.sendIssueWebhook('HD-103', 'jira:issue_created', { ...fast, intakeUrl: front.url });
      expect(result.attempts.map((a) => a.status)).toEqual([503, 200]);
      expect(JSON.parse(result.attempts[1]!.responseBody!)).toEqual({ status: 'duplicate' });
      expect(await requestsFor('HD-103')).toBe(1);
    } finally {
      await front.close();
    }
  });

  it('delivers jira:issue_updated with a changelog once the device field is filled in', async () => {
    newIssue('HD-104', undefined);
    const before = await sim.control.sendIssueWebhook('HD-104', 'jira:issue_created', { intakeUrl, ...fast });
    expect(JSON.parse(before.attempts[0]!.responseBody!)).toEqual({ status: 'ignored', reason: 'field customfield_10050 holds no device' });
    sim.control.issue('HD-104')!.device = 'SIM-SN-104';
    const changes = [{ field: 'Device serial', fieldId: 'customfield_10050', from: null, to: 'SIM-SN-104' }];
    const result = await sim.control.sendIssueWebhook('HD-104', 'jira:issue_updated', { intakeUrl, ...fast, changes });
    expect(result.finalStatus).toBe(202);
    expect(JSON.parse(result.delivery.rawBody)).toMatchObject({ webhookEvent: 'jira:issue_updated', issue_event_type_name: 'issue_generic', changelog: { items: [{ fieldId: 'customfield_10050', fieldtype: 'custom', toString: 'SIM-SN-104' }] } });
  });

  it('does not retry a 401 (wrong secret), as Jira does not', async () => {
    newIssue('HD-105', 'SIM-SN-105');
    const result = await sim.control.sendIssueWebhook('HD-105', 'jira:issue_created', { ...fast, intakeUrl, secret: 'not-the-webhook-secret-000' });
    expect(result).toMatchObject({ delivered: false, finalStatus: 401 });
    expect(result.attempts).toHaveLength(1);
    expect(await requestsFor('HD-105')).toBe(0);
  });

  it('retries network errors up to maxAttempts, then gives up', async () => {
    const front = await startFront([]);
    const closedUrl = front.url;
    await front.close();
    const result = await sim.control.sendIssueWebhook('HD-1', 'jira:issue_created', { ...fast, intakeUrl: closedUrl, maxAttempts: 3 });
    expect(result.attempts.map((a) => [a.retry, a.error])).toEqual([[0, 'ECONNREFUSED'], [1, 'ECONNREFUSED'], [2, 'ECONNREFUSED']]);
    expect(result).toMatchObject({ delivered: false, finalStatus: undefined });
    expect(sim.control.webhooks.at(-1)).toBe(result);
  });
});

describe('the delivery lane (X-Atlassian-Webhook-Flow)', () => {
  it('sends Primary by default, and the intake takes a Secondary delivery like any other', async () => {
    const seen: string[] = [];
    const capture: Server = createServer((req: IncomingMessage, res) => {
      seen.push(String(req.headers['x-atlassian-webhook-flow']));
      res.writeHead(200).end('{}');
    });
    await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
    try {
      newIssue('HD-4301', 'FLOW-0001');
      await sim.control.sendIssueWebhook('HD-4301', 'jira:issue_created', { ...fast, intakeUrl: `http://127.0.0.1:${(capture.address() as AddressInfo).port}/` });
      expect(seen).toEqual(['Primary']);
    } finally {
      await new Promise<void>((resolve) => capture.close(() => { resolve(); }));
    }
    // Secondary deliveries may come up to about 15 minutes after the event, inside JIRA_WEBHOOK_TOLERANCE_SECONDS (1 h).
    newIssue('HD-4302', 'FLOW-0002');
    const result = await sim.control.sendIssueWebhook('HD-4302', 'jira:issue_created', { ...fast, intakeUrl, flow: 'Secondary' });
    expect(result.finalStatus).toBe(202);
    expect(await requestsFor('HD-4302')).toBe(1);
  });
});
