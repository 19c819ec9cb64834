/**
 * The SMTP catcher driven by nodemailer over real SMTP: what is caught (text and HTML parts, subject, recipients,
 * headers), AUTH, and the outage switch that makes a send fail the way a mail server outage does: 4xx replies are
 * transient and 5xx permanent (RFC 5321 §4.2.1, §4.2.5: 421 service not available, 451 local error, 554 transaction
 * failed), and AUTH PLAIN per RFC 4954.
 * Sources:
 * - https://www.ietf.org/rfc/rfc5321.html : §4.2.1 (4yz transient, 5yz permanent), §4.2.3 (421 "Service not
 *   available, closing transmission channel", may answer any command; 451 "Requested action aborted: local error in
 *   processing"; 554 "Transaction failed"), §4.3.2 (MAIL may answer 451; DATA's end may answer 451 or 554; greeting
 *   220, or a refusal), §4.2.5 (no 2yz after the DATA end: the message was not accepted, so nothing is kept);
 *   the envelope (MAIL FROM, one RCPT TO per recipient, Bcc included) is separate from the message headers.
 * - https://datatracker.ietf.org/doc/rfc5322/ : From, To, Cc header fields; Bcc recipients are not shown in the
 *   headers the recipients see (§3.6.3), so they appear only in the envelope.
 * - https://learn.microsoft.com/en-us/previous-versions/exchange-server/exchange-10/ms527355(v=exchg.10) :
 *   multipart/alternative carries the same content as plain text and HTML.
 * - https://rfc-editor.org/in-notes/rfc4954.html : AUTH; 235 on success, 535 5.7.8 "Authentication credentials
 *   invalid" for a wrong password (§4), 530 5.7.0 "Authentication required" for MAIL without AUTH when the server
 *   requires it (§6).
 * - https://rfc-editor.org/rfc/rfc3207 and dcparker/ruby-gmail#22 ("530 5.7.0 Must issue a STARTTLS command first"):
 *   real submission servers take AUTH only over TLS (RFC 3207 §6); so does the catcher with AUTH: it offers STARTTLS
 *   and answers AUTH before it with 538 (smtp-server's "Must issue a STARTTLS command first"; which code a real server
 *   uses varies, see docs/sandbox.md "Fidelity notes").
 */
import nodemailer from 'nodemailer';
import { startSmtpCatcher, type SmtpCatcher } from '@resetpc/sandbox/smtp';

let catcher: SmtpCatcher;

/** A plain client; to a catcher with TLS (AUTH), it upgrades with STARTTLS and trusts the catcher's CA. */
function transport(c: SmtpCatcher, auth?: { user: string; pass: string }) {
  const tls = c.caPem === undefined ? { ignoreTLS: true } : { requireTLS: true, tls: { ca: c.caPem } };
  return nodemailer.createTransport({ host: c.host, port: c.port, secure: false, ...tls, ...(auth === undefined ? {} : { auth }) });
}

const mail = (subject: string) => ({
  from: '"ResetPC" <resetpc@contoso.com>',
  to: 'anna@contoso.com',
  cc: 'it-ops@contoso.com',
  bcc: 'audit@contoso.com',
  subject,
  text: 'The passcode of R58M123ABC was reset.',
  html: '<p>The passcode of <b>R58M123ABC</b> was reset.</p>',
  headers: { 'X-ResetPC-Request': 'req-123' },
});

beforeAll(async () => {
  catcher = await startSmtpCatcher();
});

afterEach(() => {
  catcher.accept();
});

afterAll(async () => {
  await catcher.close();
});

describe('catching', () => {
  it('keeps a message with its text and HTML parts, subject, recipients, envelope and headers', async () => {
    const t = transport(catcher);
    try {
      await t.sendMail(mail('[HD-1] Passcode reset succeeded: R58M123ABC'));
    } finally {
      t.close();
    }
    const m = await catcher.waitFor((x) => x.subject.startsWith('[HD-1]'));
    expect(m).toMatchObject({
      from: '"ResetPC" <resetpc@contoso.com>',
      to: ['anna@contoso.com'],
      cc: ['it-ops@contoso.com'],
      envelope: { mailFrom: 'resetpc@contoso.com', rcptTo: ['anna@contoso.com', 'it-ops@contoso.com', 'audit@contoso.com'] },
      subject: '[HD-1] Passcode reset succeeded: R58M123ABC',
      html: '<p>The passcode of <b>R58M123ABC</b> was reset.</p>',
      user: undefined,
    });
    expect(m.text?.trim()).toBe('The passcode of R58M123ABC was reset.');
    expect(m.headers['x-resetpc-request']).toBe('req-123');
    expect(m.headers['content-type']).toMatch(/^multipart\/alternative/);
    expect(m.receivedAt).toEqual(expect.any(Number));
  });

  it('waits for a message that arrives later, and times out when none matches', async () => {
    const waiting = catcher.waitFor((x) => x.subject === 'later');
    const t = transport(catcher);
    try {
      await t.sendMail(mail('later'));
    } finally {
      t.close();
    }
    await expect(waiting).resolves.toMatchObject({ subject: 'later' });
    await expect(catcher.waitFor((x) => x.subject === 'never', 50)).rejects.toThrow(/no matching message reached the SMTP catcher within 50 ms/);
  });
});

describe('outages', () => {
  it('refuses at the greeting with 421 while the outage lasts, stores nothing, and accepts again afterwards', async () => {
    const count = catcher.messages.length;
    catcher.refuse({ stage: 'connect', code: 421 });
    const t = transport(catcher);
    try {
      await expect(t.sendMail(mail('during outage'))).rejects.toMatchObject({ responseCode: 421 });
      expect(catcher.messages).toHaveLength(count);
      expect(catcher.refusals).toBeGreaterThanOrEqual(1);
      catcher.accept();
      await t.sendMail(mail('after outage'));
    } finally {
      t.close();
    }
    await expect(catcher.waitFor((x) => x.subject === 'after outage')).resolves.toBeDefined();
  });

  it.each([
    ['mail', 451],
    ['data', 451],
    ['data', 554],
  ] as const)('answers %s with %i, and the send fails with that response code', async (stage, code) => {
    catcher.refuse({ stage, code });
    const t = transport(catcher);
    try {
      await expect(t.sendMail(mail(`refused ${stage} ${code}`))).rejects.toMatchObject({ responseCode: code });
    } finally {
      t.close();
    }
    expect(catcher.messages.some((m) => m.subject === `refused ${stage} ${code}`)).toBe(false);
  });
});

describe('AUTH', () => {
  let authed: SmtpCatcher;

  beforeAll(async () => {
    authed = await startSmtpCatcher({ auth: { user: 'resetpc', password: 'smtp-password-for-tests' } });
  });

  afterAll(async () => {
    await authed.close();
  });

  it('accepts the configured user and password, and records who sent the message', async () => {
    const t = transport(authed, { user: 'resetpc', pass: 'smtp-password-for-tests' });
    try {
      await t.sendMail(mail('authenticated'));
    } finally {
      t.close();
    }
    await expect(authed.waitFor((x) => x.subject === 'authenticated')).resolves.toMatchObject({ user: 'resetpc', secure: true });
  });

  it('takes AUTH only after STARTTLS, as real servers do (RFC 3207 §6): a sign-in in the clear is refused', async () => {
    const before = authed.authAttempts.total;
    const clear = nodemailer.createTransport({ host: authed.host, port: authed.port, secure: false, ignoreTLS: true, auth: { user: 'resetpc', pass: 'smtp-password-for-tests' } });
    try {
      await expect(clear.sendMail(mail('in the clear'))).rejects.toMatchObject({ responseCode: 538 });
    } finally {
      clear.close();
    }
    expect(authed.authAttempts.total).toBe(before);
    expect(authed.messages.some((m) => m.subject === 'in the clear')).toBe(false);
  });

  it('refuses a wrong password with 535 and a send without AUTH with 530', async () => {
    const wrong = transport(authed, { user: 'resetpc', pass: 'wrong' });
    const none = transport(authed);
    try {
      await expect(wrong.sendMail(mail('wrong password'))).rejects.toMatchObject({ responseCode: 535 });
      await expect(none.sendMail(mail('no auth'))).rejects.toMatchObject({ responseCode: 530 });
    } finally {
      wrong.close();
      none.close();
    }
    expect(authed.messages.map((m) => m.subject)).toEqual(['authenticated']);
  });
});
