/**
 * The simulator's webhook sender delivers to the REAL intake over HTTP exactly as the documented Business Rule does
 * (docs/integrations/servicenow.md: X-ResetPC-Timestamp, X-ResetPC-Signature v1=HMAC over "<timestamp>.<body>").
 *
 * What it simulates of ServiceNow: an outbound POST from a Business Rule script with RESTMessageV2 (endpoint, method,
 * headers and a body the script builds), https://www.servicenow.com/docs/r/api-reference/server-api-reference/c_RESTMessageV2API.html;
 * and the ticket fields it reads (an incident's caller and short description, a requested item's requested-for user)
 * as the Table API returns them, https://www.servicenow.com/docs/r/api-reference/rest-apis/c_TableAPI.html.
 * ServiceNow has no signing scheme of its own for outbound REST: the HMAC headers are the product's, written into the
 * script (ADR 004).
 */
import type { AddressInfo } from 'node:net';
import { sendIncidentWebhook, SN_FIXTURE, webhookBody, type WebhookTicket } from '@resetpc/sandbox/servicenow';
import { createTestIntake, SERVICENOW_SECRET, type TestIntake } from '../../support/intake';
import { startTestServiceNow, type TestServiceNow } from './harness';

let intake: TestIntake;
let intakeUrl: string;
let sn: TestServiceNow;

beforeAll(async () => {
  intake = await createTestIntake('snwebhook');
  await intake.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = intake.app.server.address() as AddressInfo;
  intakeUrl = `http://127.0.0.1:${port}/v1/webhooks/servicenow`;
  sn = await startTestServiceNow();
});

afterAll(async () => {
  await sn.close();
  await intake.close();
});

let serial = 0;
function ticket(overrides: Partial<WebhookTicket> = {}): WebhookTicket {
  serial += 1;
  return {
    table: 'incident',
    sysId: serial.toString(16).padStart(32, 'a'),
    number: `INC${String(20000 + serial).padStart(7, '0')}`,
    device: { serialNumber: `SN-WEBHOOK-${serial}` },
    requestedBy: 'anna@contoso.com',
    reason: 'Locked out of the work profile',
    ...overrides,
  };
}

describe('the Business Rule\'s signed delivery to POST /v1/webhooks/servicenow', () => {
  it('is accepted with 202 and a request id, and the intake stores the request for the ticket', async () => {
    const sent = ticket();
    const delivery = await sendIncidentWebhook(sent, { intakeUrl, secret: SERVICENOW_SECRET });
    expect(delivery.status).toBe(202);
    expect(delivery.body).toEqual({ status: 'accepted', id: expect.any(String) });
    expect(delivery.signature).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(delivery.timestamp).toMatch(/^\d{10}$/);
    const stored = await intake.store.get((delivery.body as { id: string }).id);
    expect(stored?.request).toMatchObject({ source: 'servicenow', requestedBy: 'anna@contoso.com', ticket: { system: 'servicenow', key: sent.number, table: 'incident', sysId: sent.sysId } });
  });

  it('is refused with 409 replayed_delivery when the same signed delivery arrives again', async () => {
    const sent = ticket();
    const target = { intakeUrl, secret: SERVICENOW_SECRET, timestampSeconds: Math.floor(Date.now() / 1000) };
    const first = await sendIncidentWebhook(sent, target);
    const replay = await sendIncidentWebhook(sent, target);
    expect(first.status).toBe(202);
    expect(replay.signature).toBe(first.signature);
    expect(replay.status).toBe(409);
    expect(replay.body).toMatchObject({ error: { code: 'replayed_delivery' } });
  });

  it('answers a new delivery for the same ticket with already_active, starting nothing new', async () => {
    const sent = ticket();
    const first = await sendIncidentWebhook(sent, { intakeUrl, secret: SERVICENOW_SECRET });
    const again = await sendIncidentWebhook({ ...sent, event: 'updated' }, { intakeUrl, secret: SERVICENOW_SECRET, timestampSeconds: Number(first.timestamp) + 1 });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ status: 'already_active', id: (first.body as { id: string }).id });
  });

  it('is refused with 401 invalid_signature when signed with another secret', async () => {
    const delivery = await sendIncidentWebhook(ticket(), { intakeUrl, secret: 'not-the-intake-secret-0000' });
    expect(delivery.status).toBe(401);
    expect(delivery.body).toMatchObject({ error: { code: 'invalid_signature' } });
  });

  it('is refused with 401 stale_delivery when its timestamp is older than the tolerance', async () => {
    const delivery = await sendIncidentWebhook(ticket(), { intakeUrl, secret: SERVICENOW_SECRET, timestampSeconds: Math.floor(Date.now() / 1000) - 3600 });
    expect(delivery.status).toBe(401);
    expect(delivery.body).toMatchObject({ error: { code: 'stale_delivery' } });
  });

  it('sends the body keys in the script\'s order, non-ASCII escaped, and no empty reason', () => {
    const body = webhookBody({ ...ticket(), requestedBy: 'zoë@contoso.com', reason: '  \t ' });
    expect(body).toMatch(/^\{"event":"created","table":"incident","sysId":"[0-9a-f]{32}","number":"INC\d{7}","device":\{"serialNumber":"SN-WEBHOOK-\d+"\},"requestedBy":"zo\\u00eb@contoso.com"\}$/);
  });
});

describe('the simulator sending for one of its own tickets', () => {
  it('builds the delivery from the incident (caller email, u_device_serial, short description), records it, and the intake accepts it', async () => {
    const delivery = await sn.sim.control.sendWebhook(SN_FIXTURE.incident.number, { intakeUrl, secret: SERVICENOW_SECRET });
    expect(delivery.status).toBe(202);
    expect(JSON.parse(delivery.rawBody)).toEqual({
      event: 'created',
      table: 'incident',
      sysId: SN_FIXTURE.incident.sys_id,
      number: 'INC0010001',
      device: { serialNumber: 'R58M123ABC' },
      requestedBy: 'anna@contoso.com',
      reason: 'Locked out of the work profile',
    });
    expect(sn.sim.control.webhooksSent).toEqual([delivery]);
    expect(JSON.stringify(sn.sim.control.webhooksSent)).not.toContain(SERVICENOW_SECRET);
  });

  it('builds a requested item\'s delivery from its requested-for user and the given catalog variable', async () => {
    const delivery = await sn.sim.control.sendWebhook(SN_FIXTURE.requestedItem.sys_id, { intakeUrl, secret: SERVICENOW_SECRET, deviceSerial: 'RITM-DEVICE-1' });
    expect(delivery.status).toBe(202);
    expect(JSON.parse(delivery.rawBody)).toMatchObject({ table: 'sc_req_item', number: 'RITM0010001', device: { serialNumber: 'RITM-DEVICE-1' }, requestedBy: 'anna@contoso.com' });
  });
});
