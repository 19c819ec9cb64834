/**
 * Mounting the simulator's plain handler under a path prefix in another server (as the shared sandbox does), with
 * Fastify hijacking the request before it parses any body. Reference links and the client both keep the prefix.
 *
 * ServiceNow's Table API returns a reference field as `{ link, value }`, the link an absolute URL of the referenced
 * record on the same instance (https://www.servicenow.com/docs/r/api-reference/rest-apis/c_TableAPI.html), so a
 * simulator served under a prefix must put the prefix in the link; the OAuth token endpoint (`/oauth_token.do`) is
 * the instance's, https://www.servicenow.com/docs/r/platform-security/authentication/client-credentials-grant-workflow.html.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { createServiceNowSim, SN_FIXTURE, type ServiceNowSim } from '@resetpc/sandbox/servicenow';
import { ServiceNowClient } from '../../../src/ticketing/servicenow';

let app: FastifyInstance;
let sim: ServiceNowSim;
let origin: string;

beforeAll(async () => {
  sim = createServiceNowSim({ pathPrefix: '/servicenow' });
  app = Fastify({ logger: false, forceCloseConnections: true });
  app.addHook('onRequest', (request, reply, done) => {
    if (!sim.handles(request.raw.url?.split('?')[0] ?? '')) {
      done();
      return;
    }
    reply.hijack();
    sim.handler(request.raw, reply.raw);
  });
  app.get('/health', () => ({ ok: true }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  sim.close();
  await app.close();
});

describe('the handler mounted at /servicenow in a Fastify server', () => {
  it('serves the Table API and the token endpoint under the prefix, to the product\'s client with OAuth', async () => {
    const client = new ServiceNowClient({ instanceUrl: `${origin}/servicenow`, auth: { kind: 'oauth', ...sim.credentials.oauth } });
    await client.addWorkNote('incident', SN_FIXTURE.incident.sys_id, 'through the mount');
    expect(sim.control.journal(SN_FIXTURE.incident.sys_id, 'work_notes').map((e) => e.value)).toEqual(['through the mount']);
    expect(sim.control.writes[0]).toMatchObject({ path: `/api/now/table/incident/${SN_FIXTURE.incident.sys_id}`, body: { work_notes: 'through the mount' } });
  });

  it('puts the prefix in reference links', async () => {
    const basic = `Basic ${Buffer.from(`${sim.credentials.basic.username}:${sim.credentials.basic.password}`).toString('base64')}`;
    const response = await fetch(`${origin}/servicenow/api/now/table/incident/${SN_FIXTURE.incident.sys_id}?sysparm_fields=caller_id`, { headers: { authorization: basic } });
    expect(await response.json()).toEqual({ result: { caller_id: { link: `${origin}/servicenow/api/now/table/sys_user/${SN_FIXTURE.users.requester.sys_id}`, value: SN_FIXTURE.users.requester.sys_id } } });
  });

  it('leaves the host server\'s own routes alone', async () => {
    const response = await fetch(`${origin}/health`);
    expect(await response.json()).toEqual({ ok: true });
    expect(sim.handles('/api/now/table/incident')).toBe(false);
  });
});
