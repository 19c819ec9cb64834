import { createTestIntake, type TestIntake } from '../support/intake';

/**
 * Over a real connection (not `inject`), an accepted request writes one line at `info`: its access line, carrying what
 * the request did. The body stream is finished by the time the request is accepted, and must not count as a client gone.
 */
describe('the access line of an accepted request over HTTP', () => {
  let t: TestIntake;
  let url: string;

  beforeAll(async () => {
    t = await createTestIntake('accesslog');
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await t.close();
  });

  it('is the only line the request writes, with the request id, the caller and the device', async () => {
    const res = await fetch(`${url}/v1/resets`, {
      method: 'POST',
      headers: { ...t.auth('submitter'), 'content-type': 'application/json', 'x-request-id': 'req-access-line-1' },
      body: JSON.stringify({ device: { serialNumber: 'SN-ACCESS-1' }, requestedBy: 'anna@contoso.com' }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const lines = t.logs.filter((l) => l.reqId === 'req-access-line-1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'request completed', statusCode: 202, caller: 'submitter', outcome: 'request accepted', requestId: id, device: { value: 'SN-ACCESS-1' } });
  });
});
