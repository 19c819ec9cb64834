import { SERVICENOW_SECRET, createTestIntake, type TestIntake } from '../support/intake';
import { serviceNowDelivery, serviceNowHeaders } from '../support/webhooks';

/** ServiceNow's signed timestamp is held to the one configured tolerance (SERVICENOW_WEBHOOK_TOLERANCE_SECONDS). */
describe('a ServiceNow delivery\'s signed timestamp', () => {
  let t: TestIntake;

  beforeAll(async () => {
    t = await createTestIntake('webhooks-sn-tolerance', { SERVICENOW_WEBHOOK_TOLERANCE_SECONDS: '60', RATE_LIMIT_MAX: '1000' });
  });

  afterAll(async () => {
    await t.close();
  });

  async function signedSecondsAgo(seconds: number, number: string) {
    const raw = JSON.stringify(serviceNowDelivery({ number, serial: `SNOW-TOL-${number}` }));
    return t.app.inject({ method: 'POST', url: '/v1/webhooks/servicenow', headers: serviceNowHeaders(SERVICENOW_SECRET, raw, Math.floor(Date.now() / 1000) - seconds), payload: raw });
  }

  it('is accepted within the configured tolerance', async () => {
    expect((await signedSecondsAgo(30, 'INC0020001')).statusCode).toBe(202);
  });

  it.each([
    ['older than', 90, 'INC0020002'],
    ['further ahead than', -90, 'INC0020003'],
  ])('refuses one %s the configured tolerance with 401 stale_delivery, naming the tolerance', async (_label, seconds, number) => {
    const res = await signedSecondsAgo(seconds, number);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: { code: 'stale_delivery', message: 'X-ResetPC-Timestamp is outside the 60 s tolerance' } });
    expect((await t.store.list({ ticket: number }, 10)).items).toEqual([]);
  });
});
