import { createGraphClient, type GraphClient } from '../../src/graph/client';
import { createGraphCredential } from '../../src/graph/credential';
import { createGraphMailTransport } from '../../src/notify/email/graph';
import { createSmtpTransport } from '../../src/notify/email/smtp';
import { MailError } from '../../src/notify/email/errors';
import type { MailMessage, MailTransport } from '../../src/notify/email/transport';
import { startSandbox, type Sandbox } from '@resetpc/sandbox';

/**
 * One contract, two transports: SMTP (nodemailer, to the sandbox's SMTP catcher) and Graph sendMail (to the sandbox's
 * Graph, in MIME form). Whatever the transport, the recipients get the same subject, text part and HTML part, and an
 * outage is a retryable failure while a refusal for good is permanent.
 */
interface Received {
  readonly from: string;
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly subject: string;
  readonly text: string | undefined;
  readonly html: string | undefined;
}

interface Contract {
  readonly name: string;
  transport(): MailTransport;
  /** The messages the remote end accepted, oldest first. */
  received(): readonly Received[];
  /** Makes the remote end unavailable (temporarily) or refuse for good, until `restore`. */
  outage(kind: 'temporary' | 'permanent'): void;
  restore(): void;
}

describe.each(['smtp', 'graph'] as const)('the %s mail transport', (kind) => {
  let sandbox: Sandbox;
  let graph: GraphClient;
  const clients: GraphClient[] = [];
  let contract: Contract;
  let rule: number | undefined;

  beforeAll(async () => {
    sandbox = await startSandbox({ smtpPort: 0 });
    const smtp = sandbox.smtp!;
    graph = createGraphClient({
      credential: createGraphCredential({ tenantId: sandbox.tenantId, clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, authorityHost: sandbox.urls.authorityHost, disableInstanceDiscovery: true, extraCaPem: sandbox.caPem }),
      baseUrl: sandbox.urls.graphBaseUrl,
      extraCaPem: sandbox.caPem,
    });
    const sender = 'resetpc@contoso.com';
    contract =
      kind === 'smtp'
        ? {
            name: 'smtp',
            transport: () => createSmtpTransport({ host: smtp.host, port: smtp.port, secure: false, timeoutMs: 5000 }),
            received: () => smtp.messages,
            outage: (k) => { smtp.refuse(k === 'temporary' ? { stage: 'mail', code: 451 } : { stage: 'data', code: 554 }); },
            restore: () => { smtp.accept(); },
          }
        : {
            name: 'graph',
            // A new client (and token) each time: a permission change shows in the next token only.
            transport: () => {
              graph = createGraphClient({
                credential: createGraphCredential({ tenantId: sandbox.tenantId, clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, authorityHost: sandbox.urls.authorityHost, disableInstanceDiscovery: true, extraCaPem: sandbox.caPem }),
                baseUrl: sandbox.urls.graphBaseUrl,
                extraCaPem: sandbox.caPem,
              });
              clients.push(graph);
              return createGraphMailTransport({ client: graph.client, sender });
            },
            received: () => sandbox.control.sentMail.map((m) => m.mime).filter((m) => m !== undefined),
            outage: (k) => {
              rule = sandbox.control.injectFault({ method: 'POST', path: `/v1.0/users/${sender}/sendMail`, fault: k === 'temporary' ? { kind: 'status', status: 429, retryAfterSeconds: 7 } : { kind: 'status', status: 500 } });
              if (k === 'permanent') {
                sandbox.control.faults.remove(rule);
                sandbox.control.setAppRoles(sandbox.clientId, (sandbox.control.app(sandbox.clientId)?.roles ?? []).filter((r) => r !== 'Mail.Send'));
              }
            },
            restore: () => {
              if (rule !== undefined) sandbox.control.faults.remove(rule);
              sandbox.control.setAppRoles(sandbox.clientId, [...(sandbox.control.app(sandbox.clientId)?.roles ?? []), 'Mail.Send']);
            },
          };
  });

  afterAll(async () => {
    for (const client of new Set([graph, ...clients])) await client.close();
    await sandbox.close();
  });

  const message: MailMessage = {
    from: 'resetpc@contoso.com',
    to: ['anna@contoso.com'],
    cc: ['it-ops@contoso.com'],
    subject: '[HD-42] Passcode reset request for AE-FULLY-01: Passcode reset',
    text: 'The passcode of the device was reset.\nVerify the caller\'s identity before you read the passcode out to them.',
    html: '<p>The passcode of the device was <strong>reset</strong>.</p><p>Ünïcödé &amp; links: <a href="https://intune.microsoft.com/">admin center</a></p>',
  };

  it('delivers the subject, the recipients, a text part and an HTML part', async () => {
    const transport = contract.transport();
    await transport.send(message);
    await transport.close();
    const got = contract.received().at(-1);
    expect(got).toMatchObject({ to: ['anna@contoso.com'], cc: ['it-ops@contoso.com'], subject: message.subject });
    expect(got?.from).toContain('resetpc@contoso.com');
    expect(got?.text?.trim()).toBe(message.text);
    expect(got?.html).toContain('<strong>reset</strong>');
    expect(got?.html).toContain('Ünïcödé &amp; links');
  });

  it('reports an outage as a failure worth retrying, and a refusal for good as permanent', async () => {
    contract.outage('temporary');
    let transport = contract.transport();
    const temporary = await transport.send(message).catch((e: unknown) => e);
    contract.restore();
    await transport.close();
    expect(temporary).toBeInstanceOf(MailError);
    expect(temporary).toMatchObject({ system: 'mail', kind: contract.name === 'graph' ? 'rate_limited' : 'transient', permanent: false });
    if (contract.name === 'graph') expect(temporary).toMatchObject({ code: 'graph_mail_throttled', retryAfterMs: 7000 });

    contract.outage('permanent');
    transport = contract.transport();
    const permanent = await transport.send(message).catch((e: unknown) => e);
    contract.restore();
    expect(permanent).toBeInstanceOf(MailError);
    expect(permanent).toMatchObject({ system: 'mail', kind: 'permanent', permanent: true });
    await transport.close();
  });
});

/**
 * Graph sendMail as it behaves in a real tenant (issue 11, section 5): the sender must be a user with a mailbox, else
 * 404 `ErrorInvalidUser` (microsoftgraph/microsoft-graph-docs#7580, InnoGE/laravel-msgraph-mail#16); and Mail.Send may be
 * granted with Exchange RBAC for Applications, scoped to mailboxes, which puts no Mail.Send role in the token
 * (learn.microsoft.com/exchange/permissions-exo/application-rbac; learn.microsoft.com/graph/api/user-sendmail).
 */
describe('Graph sendMail in a real tenant', () => {
  let sandbox: Sandbox;
  const clients: GraphClient[] = [];
  const message: MailMessage = { from: 'resetpc@contoso.com', to: ['anna@contoso.com'], cc: [], subject: 'Passcode reset', text: 'done', html: '<p>done</p>' };

  beforeAll(async () => {
    sandbox = await startSandbox();
  });

  afterAll(async () => {
    for (const client of clients) await client.close();
    await sandbox.close();
  });

  /** A new client, so a new token: role changes show in the next token only. */
  const transportAs = (sender: string): MailTransport => {
    const graph = createGraphClient({
      credential: createGraphCredential({ tenantId: sandbox.tenantId, clientId: sandbox.clientId, clientSecret: sandbox.clientSecret, authorityHost: sandbox.urls.authorityHost, disableInstanceDiscovery: true, extraCaPem: sandbox.caPem }),
      baseUrl: sandbox.urls.graphBaseUrl,
      extraCaPem: sandbox.caPem,
    });
    clients.push(graph);
    return createGraphMailTransport({ client: graph.client, sender });
  };

  it('reports a sender with no mailbox as permanent, naming the setting to fix', async () => {
    const e = await transportAs('no-such-user@contoso.com').send(message).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(MailError);
    expect(e).toMatchObject({ code: 'graph_mail_sender_not_found', permanent: true, message: expect.stringContaining('NOTIFY_GRAPH_MAIL_SENDER') });
    expect(sandbox.control.sentMail).toHaveLength(0);
  });

  it('sends as a mailbox Exchange RBAC for Applications scopes it to, with no Mail.Send in the token; any other mailbox is refused for good', async () => {
    const roles = sandbox.control.app(sandbox.clientId)?.roles ?? [];
    sandbox.control.setAppRoles(sandbox.clientId, roles.filter((r) => r !== 'Mail.Send'));
    sandbox.control.setMailSendScope(sandbox.clientId, ['resetpc@contoso.com']);
    try {
      await transportAs('resetpc@contoso.com').send(message);
      expect(sandbox.control.sentMail.at(-1)).toMatchObject({ userId: 'resetpc@contoso.com' });
      const outside = await transportAs('it-ops@contoso.com').send(message).catch((err: unknown) => err);
      expect(outside).toMatchObject({ code: 'graph_mail_forbidden', permanent: true });
    } finally {
      sandbox.control.setAppRoles(sandbox.clientId, roles);
      sandbox.control.setMailSendScope(sandbox.clientId, []);
    }
  });
});
