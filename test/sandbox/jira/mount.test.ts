/**
 * Mounting the simulated site inside another server, as the shared sandbox does: under a base path, and inside a
 * Fastify HTTPS server through an onRequest hook (before Fastify reads the body), reached by the real client with
 * an undici dispatcher that trusts the sandbox CA (certificate checks stay on).
 */
import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { createSandboxPki } from '@resetpc/sandbox/pki';
import { createJiraSim, startJiraSim } from '@resetpc/sandbox/jira';
import { adf, createJiraClient } from '../../../src/ticketing/jira';

describe('mounting the Jira simulator', () => {
  it('serves the same API under a base path, and nothing outside it', async () => {
    const mounted = await startJiraSim({ basePath: '/jira', apiToken: 'mounted-token-0001' });
    try {
      expect(mounted.url).toMatch(/\/jira$/);
      const client = createJiraClient({ siteUrl: mounted.url, email: 'resetpc-bot@contoso.com', apiToken: 'mounted-token-0001' });
      await expect(client.getIssue('OPS-1')).resolves.toMatchObject({ key: 'OPS-1' });
      const outside = await fetch(`${mounted.url.replace(/\/jira$/, '')}/rest/api/3/issue/OPS-1`);
      expect(outside.status).toBe(404);
    } finally {
      await mounted.close();
    }
  });

  it('runs inside a Fastify HTTPS server via an onRequest hook, POST bodies included', async () => {
    const pki = await createSandboxPki(['localhost'], ['127.0.0.1']);
    const closing = new AbortController();
    const sim = createJiraSim({ basePath: '/jira', apiToken: 'https-token-000001', signal: closing.signal });
    const app = Fastify({ https: { key: pki.keyPem, cert: pki.certPem }, logger: false, forceCloseConnections: true });
    app.addHook('onRequest', (request, reply, done) => {
      if (request.url.startsWith('/jira/rest/')) {
        void reply.hijack();
        sim.handler(request.raw, reply.raw);
        return;
      }
      done();
    });
    app.get('/health', () => ({ ok: true }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const dispatcher = new Agent({ connect: { ca: pki.caPem } });
    try {
      const origin = `https://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      sim.state.siteUrl = `${origin}/jira`;
      const client = createJiraClient({ siteUrl: `${origin}/jira`, email: 'resetpc-bot@contoso.com', apiToken: 'https-token-000001', dispatcher });
      await client.addComment('HD-1', adf.doc(adf.paragraph('mounted')));
      await client.transitionByName('HD-1', 'Resolve');
      expect(sim.control.issue('HD-1')!.status.name).toBe('Resolved');
      expect(sim.control.writes.map((w) => [w.path, w.outcome])).toEqual([['/rest/api/3/issue/HD-1/comment', 201], ['/rest/api/3/issue/HD-1/transitions', 204]]);
      const health = await app.inject({ method: 'GET', url: '/health' });
      expect(health.json()).toEqual({ ok: true });
    } finally {
      closing.abort();
      await dispatcher.close();
      await app.close();
    }
  });
});
