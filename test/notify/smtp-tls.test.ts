import { createSmtpTransport } from '../../src/notify/email/smtp';
import { MailError } from '../../src/notify/email/errors';
import type { MailMessage } from '../../src/notify/email/transport';
import { startSmtpCatcher, type SmtpCatcher } from '@resetpc/sandbox/smtp';

/**
 * The SMTP password goes only over TLS. RFC 4954 §4 (rfc-editor.org/rfc/rfc4954): a client should not send a plain-text
 * password (PLAIN, LOGIN) unless the connection is protected, as by TLS (RFC 3207, rfc-editor.org/rfc/rfc3207); public
 * servers refuse AUTH before STARTTLS ("530 5.7.0 Must issue a STARTTLS command first", dcparker/ruby-gmail#22). A
 * server that offers no STARTTLS (the catcher's `tls: 'none'`, an old relay, or a man in the middle that strips the
 * STARTTLS line from EHLO) must get no password from the product: before, nodemailer used STARTTLS only when offered and
 * sent the password in the clear otherwise.
 */
const USER = 'resetpc-mailer';
const PASSWORD = 'Smtp-Tls-Password-Canary-8080';
const message: MailMessage = { from: 'resetpc@contoso.com', to: ['anna@contoso.com'], cc: [], subject: 'Passcode reset', text: 'done', html: '<p>done</p>' };

describe('the SMTP transport with a password', () => {
  let withTls: SmtpCatcher;
  let clearOnly: SmtpCatcher;

  beforeAll(async () => {
    withTls = await startSmtpCatcher({ auth: { user: USER, password: PASSWORD } });
    clearOnly = await startSmtpCatcher({ auth: { user: USER, password: PASSWORD }, tls: 'none' });
  });

  afterAll(async () => {
    await withTls.close();
    await clearOnly.close();
  });

  it('upgrades with STARTTLS before it signs in, and the message arrives', async () => {
    const transport = createSmtpTransport({ host: withTls.host, port: withTls.port, secure: false, auth: { user: USER, password: PASSWORD }, ca: withTls.caPem ?? 'the catcher offers TLS with AUTH', timeoutMs: 5000 });
    try {
      await transport.send(message);
    } finally {
      await transport.close();
    }
    await expect(withTls.waitFor((m) => m.subject === 'Passcode reset')).resolves.toMatchObject({ user: USER, secure: true });
    expect(withTls.authAttempts).toEqual({ total: 1, inTheClear: 0 });
  });

  it('sends no password to a server that offers no STARTTLS: the email fails smtp_tls_required, for good', async () => {
    const transport = createSmtpTransport({ host: clearOnly.host, port: clearOnly.port, secure: false, auth: { user: USER, password: PASSWORD }, timeoutMs: 5000 });
    try {
      const failure = await transport.send(message).then(() => undefined, (e: unknown) => e);
      expect(failure).toBeInstanceOf(MailError);
      expect(failure).toMatchObject({ code: 'smtp_tls_required', kind: 'permanent' });
      expect((failure as Error).message).toMatch(/SMTP_SECURE=true/);
      expect(JSON.stringify({ message: (failure as Error).message, failure })).not.toContain(PASSWORD);
    } finally {
      await transport.close();
    }
    expect(clearOnly.authAttempts.total).toBe(0);
    expect(clearOnly.messages).toEqual([]);
  });

  it('signs in the clear only when SMTP_ALLOW_PLAINTEXT_AUTH says so', async () => {
    const transport = createSmtpTransport({ host: clearOnly.host, port: clearOnly.port, secure: false, auth: { user: USER, password: PASSWORD }, allowPlaintextAuth: true, timeoutMs: 5000 });
    try {
      await transport.send({ ...message, subject: 'Allowed in the clear' });
    } finally {
      await transport.close();
    }
    await expect(clearOnly.waitFor((m) => m.subject === 'Allowed in the clear')).resolves.toMatchObject({ user: USER, secure: false });
    expect(clearOnly.authAttempts).toEqual({ total: 1, inTheClear: 1 });
  });
});
