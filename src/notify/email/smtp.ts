/**
 * The SMTP transport (nodemailer). A 5xx reply or refused credentials are permanent; a 4xx reply, a refused or lost
 * connection and a timeout are worth a retry. The password stays in nodemailer's options: it is in no message, and it
 * goes only over TLS: implicit (SMTP_SECURE) or STARTTLS, which is then required, not merely used when offered
 * (RFC 4954 §4: a client should not send a plain password on a connection without TLS; RFC 3207 §6). A server that
 * does not offer STARTTLS gets no password (`smtp_tls_required`), unless SMTP_ALLOW_PLAINTEXT_AUTH says otherwise.
 */
import { createTransport } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { MailError } from './errors';
import { nodemailerOptions, type MailTransport } from './transport';

export interface SmtpSettings {
  readonly host: string;
  readonly port: number;
  /** Implicit TLS (465); otherwise STARTTLS when offered, and required when `auth` is set. */
  readonly secure: boolean;
  readonly auth?: { readonly user: string; readonly password: string };
  /** Sends the password on a connection without TLS when the server offers no STARTTLS (SMTP_ALLOW_PLAINTEXT_AUTH). */
  readonly allowPlaintextAuth?: boolean;
  /** Extra CA (PEM) to trust, e.g. the sandbox's. */
  readonly ca?: string;
  /** Connection, greeting and socket timeouts; default 15 s. */
  readonly timeoutMs?: number;
}

const TRANSIENT_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNRESET', 'ECONNREFUSED', 'ETLS', 'EPROTOCOL']);

export function smtpFailure(err: unknown): MailError {
  const e = err as { code?: unknown; responseCode?: unknown; command?: unknown };
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const command = typeof e.command === 'string' ? e.command.split(' ')[0] ?? '' : undefined;
  const stage = command === undefined ? '' : ` at ${command}`;
  if (command === 'STARTTLS' && responseCode !== undefined) {
    return new MailError('smtp_tls_required', `The SMTP server does not offer STARTTLS (${responseCode}), and the password (SMTP_PASSWORD) is sent only over TLS: use SMTP_SECURE=true (port 465) or a server that offers STARTTLS`, 'permanent');
  }
  if (code === 'EAUTH') return new MailError('smtp_auth', 'The SMTP server refused the credentials (SMTP_USER, SMTP_PASSWORD)', 'permanent');
  if (responseCode !== undefined && responseCode >= 500) return new MailError('smtp_refused', `The SMTP server refused the message (${responseCode}${stage})`, 'permanent');
  if (responseCode !== undefined && responseCode >= 400) return new MailError('smtp_unavailable', `The SMTP server deferred the message (${responseCode}${stage})`, 'transient');
  if (code !== undefined && TRANSIENT_CODES.has(code)) return new MailError('smtp_unavailable', `The SMTP server could not be reached (${code})`, 'transient');
  if (code === 'EENVELOPE' || code === 'EMESSAGE') return new MailError('smtp_refused', `The message could not be sent (${code})`, 'permanent');
  return new MailError('smtp_unavailable', `Sending by SMTP failed${code === undefined ? '' : ` (${code})`}`, 'transient');
}

/** nodemailer's options for these settings: the one place the product (and `npm run doctor`) builds them. */
export function smtpTransportOptions(settings: SmtpSettings): SMTPTransport.Options {
  const timeout = settings.timeoutMs ?? 15_000;
  return {
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    ...(settings.auth === undefined ? {} : { auth: { user: settings.auth.user, pass: settings.auth.password }, requireTLS: !settings.secure && settings.allowPlaintextAuth !== true }),
    ...(settings.ca === undefined ? {} : { tls: { ca: settings.ca } }),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    logger: false,
    debug: false,
  };
}

export function createSmtpTransport(settings: SmtpSettings): MailTransport {
  const transporter = createTransport(smtpTransportOptions(settings));
  return {
    kind: 'smtp',
    async send(message) {
      try {
        await transporter.sendMail(nodemailerOptions(message));
      } catch (err) {
        throw smtpFailure(err);
      }
    },
    close() {
      transporter.close();
      return Promise.resolve();
    },
  };
}
