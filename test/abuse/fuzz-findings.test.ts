import { createTestIntake, type TestIntake } from '../support/intake';

/**
 * Answers the fuzzing found outside the documented error shape, now fixed and kept as regression tests. Fastify
 * answers a URL it cannot decode, and a path parameter over maxParamLength, before any hook or the app's error handler
 * runs; src/intake/app.ts answers them through Fastify's `frameworkErrors` option instead of Fastify's own body (which
 * echoed the URL and had no x-request-id). And the routes that take a body declare their 415 in the OpenAPI document.
 */
describe('issues the fuzzing found', () => {
  let intake: TestIntake;

  beforeAll(async () => {
    intake = await createTestIntake('known');
  });

  afterAll(async () => {
    await intake.close();
  });

  async function expectDocumentedError(url: string): Promise<void> {
    const res = await intake.app.inject({ method: 'GET', url, headers: intake.auth('operator') });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(res.headers['x-request-id']).toEqual(expect.any(String));
    expect(res.json()).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
    expect(res.body).not.toContain(url);
  }

  it('answers a malformed percent-encoding in the path in the documented shape', async () => {
    await expectDocumentedError('/v1/resets/%zz');
  });

  it('answers invalid UTF-8 in the path in the documented shape', async () => {
    await expectDocumentedError('/v1/resets/%c0%af/approve');
  });

  it('answers a path parameter longer than 100 characters in the documented shape', async () => {
    await expectDocumentedError(`/v1/tenants/${'a'.repeat(101)}/submissions`);
  });

  it('declares 415 in the OpenAPI document for every route that answers it', async () => {
    const doc = (intake.app as unknown as { swagger(): { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> } }).swagger();
    const id = '11111111-1111-4111-8111-111111111111';
    const routes: [string, string, string][] = [
      ['POST', `/v1/resets/${id}/approve`, '/v1/resets/{id}/approve'],
      ['POST', `/v1/resets/${id}/retry`, '/v1/resets/{id}/retry'],
      ['POST', `/v1/resets/${id}/cancel`, '/v1/resets/{id}/cancel'],
      ['POST', `/v1/resets/${id}/notifications/succeeded/email/retry`, '/v1/resets/{id}/notifications/{event}/{channel}/retry'],
      ['POST', `/v1/tenants/${id}/pause`, '/v1/tenants/{tenantId}/pause'],
      ['POST', `/v1/tenants/${id}/resume`, '/v1/tenants/{tenantId}/resume'],
      ['PUT', `/v1/tenants/${id}/blast-radius`, '/v1/tenants/{tenantId}/blast-radius'],
    ];
    const undeclared: string[] = [];
    for (const [method, url, template] of routes) {
      const res = await intake.app.inject({ method: method as 'POST' | 'PUT', url, headers: { ...intake.auth('admin'), 'content-type': 'text/plain' }, payload: 'x' });
      expect(res.statusCode).toBe(415);
      if (doc.paths[template]?.[method.toLowerCase()]?.responses['415'] === undefined) undeclared.push(`${method} ${template}`);
    }
    expect(undeclared).toEqual([]);
  });

  it('stores and queues nothing for any of them', async () => {
    for (const url of ['/v1/resets/%zz', '/v1/resets/%c0%af/approve', `/v1/tenants/${'a'.repeat(101)}/pause`]) {
      const res = await intake.app.inject({ method: 'POST', url, headers: intake.auth('admin'), payload: {} });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
    }
    expect(await intake.redis.zcard(intake.store.keys.byCreated)).toBe(0);
    expect(Object.values(await intake.queues.reset.getJobCounts()).reduce((a, b) => a + b, 0)).toBe(0);
  });
});
