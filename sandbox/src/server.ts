/**
 * startSandbox: one HTTPS server, with a CA made at start-up, serving the simulated Entra ID and Microsoft Graph,
 * ServiceNow (under /servicenow) and Jira Cloud (under /jira), plus the control API (/_sandbox); and an SMTP catcher
 * on its own port.
 */
import Fastify from 'fastify';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { systemClock, type SandboxClock } from './clock';
import { SandboxControl } from './control';
import { registerControlApi } from './control-api';
import { registerTicketingControlApi, type WebhookTargets } from './control-api-ticketing';
import { createJiraSim, type JiraSim } from './jira';
import { createServiceNowSim, type ServiceNowSim } from './servicenow';
import { startSmtpCatcher, type SmtpCatcher } from './smtp';
import { registerEntra } from './entra';
import { createFixtureTenant } from './fixtures';
import { deviceRoutes } from './graph/devices';
import { directoryRoutes } from './graph/directory';
import { registerGraph } from './graph/dispatch';
import { createSandboxPki } from './pki';
import type { SandboxTenantState } from './tenant';
import type { ThrottleLimits } from './throttle';

export interface SandboxOptions {
  /** Interface to listen on; default 127.0.0.1 (loopback only). */
  readonly host?: string;
  /** Default 0: a free port. */
  readonly port?: number;
  /** The tenant to serve; default: the fixture tenant with a fresh random client secret. */
  readonly tenant?: SandboxTenantState;
  /** Default: the system clock. Pass a ManualClock to move time in tests. */
  readonly clock?: SandboxClock;
  /** Lifetime of access tokens; default 3599 s, as Entra ID issues them. */
  readonly tokenLifetimeSeconds?: number;
  readonly throttleLimits?: Partial<ThrottleLimits>;
  /** Random source for fault probabilities; default Math.random. */
  readonly random?: () => number;
  /** Resources besides Graph that tokens can be asked for (Graph rejects them: wrong audience). */
  readonly otherResources?: readonly string[];
  /** The SMTP catcher's port; default 0 (a free port). `false`: no SMTP catcher. */
  readonly smtpPort?: number | false;
  /** Where the simulated ServiceNow and Jira send their signed webhooks (the control API's send routes). */
  readonly webhooks?: WebhookTargets;
}

export interface SandboxUrls {
  /** https://127.0.0.1:PORT */
  readonly origin: string;
  /** The `authorityHost` for @azure/identity. */
  readonly authorityHost: string;
  /** The Graph `baseUrl` (origin with a trailing slash); versions are /v1.0 and /beta under it. */
  readonly graphBaseUrl: string;
  readonly tokenEndpoint: string;
  /** The ServiceNow instance URL (origin + /servicenow). */
  readonly servicenow: string;
  /** The Jira site URL (origin + /jira). */
  readonly jira: string;
  /** The control API (origin + /_sandbox). */
  readonly control: string;
  /** smtp://127.0.0.1:PORT, when the SMTP catcher runs. */
  readonly smtp?: string;
}

export interface Sandbox {
  readonly urls: SandboxUrls;
  /** The CA that signed the server certificate. Trust it as an extra CA; never turn certificate checks off. */
  readonly caPem: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly control: SandboxControl;
  readonly servicenow: ServiceNowSim;
  readonly jira: JiraSim;
  readonly smtp?: SmtpCatcher;
  close(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const host = options.host ?? '127.0.0.1';
  const clock = options.clock ?? systemClock;
  const state = options.tenant ?? createFixtureTenant({ now: clock.now(), clientSecret: randomBytes(24).toString('base64url') });
  const app0 = state.apps[0];
  if (app0 === undefined) throw new Error('the sandbox tenant needs at least one app');
  const control = new SandboxControl({
    state,
    clock,
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3599,
    ...(options.throttleLimits === undefined ? {} : { throttleLimits: options.throttleLimits }),
    ...(options.random === undefined ? {} : { random: options.random }),
  });
  const pki = await createSandboxPki(['localhost'], ['127.0.0.1', '::1']);
  const closing = new AbortController();
  let origin = '';

  const random = options.random === undefined ? {} : { random: options.random };
  const servicenow = createServiceNowSim({ pathPrefix: '/servicenow', clock, ...random });
  const jira = createJiraSim({ basePath: '/jira', clock, signal: closing.signal, ...random });
  const smtp = options.smtpPort === false ? undefined : await startSmtpCatcher({ port: options.smtpPort ?? 0 });

  const app = Fastify({ https: { key: pki.keyPem, cert: pki.certPem }, logger: false, forceCloseConnections: true, bodyLimit: 1024 * 1024 });
  // The ticketing sandboxes are plain Node handlers that read their own bodies, so they take the request before
  // Fastify parses it.
  app.addHook('onRequest', (request, reply, done) => {
    const path = request.url.split('?')[0] ?? '';
    if (servicenow.handles(path)) {
      void reply.hijack();
      servicenow.handler(request.raw, reply.raw);
      return;
    }
    if (path.startsWith('/jira/rest/')) {
      void reply.hijack();
      jira.handler(request.raw, reply.raw);
      return;
    }
    done();
  });
  await app.register((scope, _opts, done) => {
    registerEntra(scope, { control, origin: () => origin, otherResources: options.otherResources ?? ['https://management.azure.com'] });
    done();
  });
  await app.register((scope, _opts, done) => {
    registerGraph(scope, { control, routes: [...deviceRoutes, ...directoryRoutes], origin: () => origin, signal: closing.signal });
    done();
  });
  await app.register((scope, _opts, done) => {
    registerControlApi(scope, { control, summary: () => ({ simulated: true, origin, tenantId: state.tenantId, clientId: app0.clientId }) });
    registerTicketingControlApi(scope, { servicenow, jira, ...(smtp === undefined ? {} : { smtp }), ...(options.webhooks === undefined ? {} : { webhooks: options.webhooks }) });
    done();
  });
  await app.listen({ host, port: options.port ?? 0 });
  const { port } = app.server.address() as AddressInfo;
  origin = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  jira.state.siteUrl = `${origin}/jira`;

  return {
    urls: {
      origin,
      authorityHost: origin,
      graphBaseUrl: `${origin}/`,
      tokenEndpoint: `${origin}/${state.tenantId}/oauth2/v2.0/token`,
      servicenow: `${origin}/servicenow`,
      jira: `${origin}/jira`,
      control: `${origin}/_sandbox`,
      ...(smtp === undefined ? {} : { smtp: `smtp://${smtp.host}:${smtp.port}` }),
    },
    caPem: pki.caPem,
    tenantId: state.tenantId,
    clientId: app0.clientId,
    clientSecret: app0.clientSecret,
    control,
    servicenow,
    jira,
    ...(smtp === undefined ? {} : { smtp }),
    close: async () => {
      closing.abort();
      await app.close();
      servicenow.close();
      await smtp?.close();
    },
  };
}
