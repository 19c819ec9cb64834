/**
 * The SMTP transport (nodemailer). A 5xx reply or refused credentials are permanent; a 4xx reply, a refused or lost
 * connection and a timeout are worth a retry. The password stays in nodemailer's options: it is in no message.
 */
import { createTransport } from 'nodemailer';
import { MailError } from './errors';
import { nodemailerOptions, type MailTransport } from './transport';

export interface SmtpSettings {
  readonly host: string;
  readonly port: number;
  /** Implicit TLS (465); otherwise STARTTLS when offered. */
  readonly secure: boolean;
  readonly auth?: { readonly user: string; readonly password: string };
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
  const stage = typeof e.command === 'string' ? ` at ${e.command.split(' ')[0] ?? ''}` : '';
  if (code === 'EAUTH') return new MailError('smtp_auth', 'The SMTP server refused the credentials (SMTP_USER, SMTP_PASSWORD)', 'permanent');
  if (responseCode !== undefined && responseCode >= 500) return new MailError('smtp_refused', `The SMTP server refused the message (${responseCode}${stage})`, 'permanent');
  if (responseCode !== undefined && responseCode >= 400) return new MailError('smtp_unavailable', `The SMTP server deferred the message (${responseCode}${stage})`, 'transient');
  if (code !== undefined && TRANSIENT_CODES.has(code)) return new MailError('smtp_unavailable', `The SMTP server could not be reached (${code})`, 'transient');
  if (code === 'EENVELOPE' || code === 'EMESSAGE') return new MailError('smtp_refused', `The message could not be sent (${code})`, 'permanent');
  return new MailError('smtp_unavailable', `Sending by SMTP failed${code === undefined ? '' : ` (${code})`}`, 'transient');
}

export function createSmtpTransport(settings: SmtpSettings): MailTransport {
  const timeout = settings.timeoutMs ?? 15_000;
  const transporter = createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    ...(settings.auth === undefined ? {} : { auth: { user: settings.auth.user, pass: settings.auth.password } }),
    ...(settings.ca === undefined ? {} : { tls: { ca: settings.ca } }),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    logger: false,
    debug: false,
  });
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
