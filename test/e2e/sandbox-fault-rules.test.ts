import { Agent, fetch } from 'undici';
import { FIXTURE_DEVICES, startSandbox, type Sandbox } from '@resetpc/sandbox';
import { SN_FIXTURE } from '@resetpc/sandbox/servicenow';

/**
 * Issue 12: a refusal for good (401, 403, 404) can be put on every simulated service through the control API, as well
 * as an answer of a shape the product does not expect (a `body` fault). Driven over HTTPS as curl would (docs/sandbox.md,
 * "POST /_sandbox/faults"), trusting only the sandbox CA; each service is then called with its real credentials, so
 * the status seen is the rule's, not an authentication failure of the caller.
 */
interface Answer {
  readonly status: number;
  readonly text: string;
}

describe('sandbox fault rules over the control API, on Graph, ServiceNow and Jira', () => {
  let sandbox: Sandbox;
  let agent: Agent;

  async function send(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const res = await fetch(url, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }), dispatcher: agent });
    return { status: res.status, text: await res.text() };
  }

  const basic = (user: string, secret: string): string => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;

  beforeAll(async () => {
    sandbox = await startSandbox({ smtpPort: false });
    agent = new Agent({ connect: { ca: sandbox.caPem } });
  });

  afterAll(async () => {
    await Promise.all([agent.close(), sandbox.close()]);
  });

  /** Each system: where its fault rules are, a path a rule names, and a call on that path with the system's credentials. */
  const systems = [
    {
      system: 'Graph',
      faults: '/_sandbox/faults',
      path: '/v1.0/deviceManagement/managedDevices/*',
      call: () => send('GET', `${sandbox.urls.origin}/v1.0/deviceManagement/managedDevices/${FIXTURE_DEVICES.androidDedicated}`, undefined, { authorization: `Bearer ${sandbox.control.issueToken()}` }),
      errorOf: (text: string) => (JSON.parse(text) as { error: { code: string } }).error.code,
    },
    {
      system: 'ServiceNow',
      faults: '/_sandbox/servicenow/faults',
      path: '/api/now/table/incident/*',
      call: () => send('GET', `${sandbox.urls.servicenow}/api/now/table/incident/${SN_FIXTURE.incident.sys_id}`, undefined, { authorization: basic(sandbox.servicenow.credentials.basic.username, sandbox.servicenow.credentials.basic.password), accept: 'application/json' }),
      errorOf: (text: string) => (JSON.parse(text) as { status: string }).status,
    },
    {
      system: 'Jira',
      faults: '/_sandbox/jira/faults',
      path: '/rest/api/3/issue/*',
      call: () => send('GET', `${sandbox.urls.jira}/rest/api/3/issue/HD-1`, undefined, { authorization: basic(sandbox.jira.credentials?.email ?? '', sandbox.jira.credentials?.apiToken ?? ''), accept: 'application/json' }),
      errorOf: (text: string) => (JSON.parse(text) as { errorMessages: string[] }).errorMessages.join(' '),
    },
  ] as const;

  describe.each(systems)('$system', ({ faults, path, call, errorOf }) => {
    const control = (method: string, route: string, body?: unknown): Promise<Answer> => send(method, `${sandbox.urls.control}${route.replace(/^\/_sandbox/, '')}`, body);

    afterEach(async () => {
      expect((await control('DELETE', faults)).status).toBe(204);
    });

    it.each([401, 403, 404])('answers %i from a status rule, then the real answer once the sequence has run out', async (status) => {
      expect((await call()).status).toBe(200);
      const added = await control('POST', faults, { method: 'GET', path, sequence: [{ kind: 'status', status }] });
      expect(added.status).toBe(201);
      const refused = await call();
      expect(refused.status).toBe(status);
      expect(errorOf(refused.text)).not.toBe('');
      expect((await call()).status).toBe(200);
      expect((await control('DELETE', `${faults}/${String((JSON.parse(added.text) as { id: number }).id)}`)).status).toBe(204);
    });

    it('answers a status rule on every call while it stands, and not once it is removed', async () => {
      const { id } = JSON.parse((await control('POST', faults, { path, fault: { kind: 'status', status: 403 } })).text) as { id: number };
      expect([(await call()).status, (await call()).status]).toEqual([403, 403]);
      expect((await control('DELETE', `${faults}/${String(id)}`)).status).toBe(204);
      expect((await call()).status).toBe(200);
    });

    it('serves a body fault in place of the real body, with the real status: JSON of another shape, or text that is not JSON', async () => {
      expect((await control('POST', faults, { method: 'GET', path, sequence: [{ kind: 'body', json: { value: [42] } }, { kind: 'body', text: '{"cut short' }] })).status).toBe(201);
      expect(await call()).toEqual({ status: 200, text: '{"value":[42]}' });
      expect(await call()).toEqual({ status: 200, text: '{"cut short' });
      expect((await call()).text).not.toContain('cut short');
    });

    it('refuses a body fault with neither json nor text, or both, naming the fault', async () => {
      for (const bad of [{ kind: 'body' }, { kind: 'body', json: {}, text: '{}' }]) {
        const refused = await control('POST', faults, { path, fault: bad });
        expect(refused.status).toBe(400);
        expect(JSON.parse(refused.text)).toMatchObject({ error: { code: 'validation_failed', details: [{ field: 'fault', message: 'give json or text' }] } });
      }
    });
  });
});
