/**
 * An SMTP catcher: a real SMTP peer (smtp-server) on a local port that parses every message (mailparser) and keeps
 * it, so tests and the sandbox see exactly what the product's mailer sent. Optional AUTH (PLAIN / LOGIN, one
 * configured user), and an outage switch that answers 421 or 451 (temporary) or 554 (permanent) at a chosen stage.
 * With AUTH it offers STARTTLS (a certificate from the sandbox's own CA) and, as real servers do, takes AUTH only over
 * TLS (RFC 3207 §6; RFC 4954 §4 says a client should not send a plain password on a connection without it); `tls:
 * 'none'` simulates an old server that offers AUTH in the clear. It never logs or stores a password.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';
import { createSandboxPki } from '../pki';

export interface CaughtMessage {
  /** The From header, as text (e.g. `"ResetPC" <resetpc@contoso.com>`). */
  readonly from: string;
  /** Addresses of the To and Cc headers. */
  readonly to: readonly string[];
  readonly cc: readonly string[];
  /** The SMTP envelope: MAIL FROM and every RCPT TO (Bcc included). */
  readonly envelope: { readonly mailFrom: string; readonly rcptTo: readonly string[] };
  readonly subject: string;
  readonly text: string | undefined;
  readonly html: string | undefined;
  /** Header lines by lower-case name; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /** The authenticated user, when the session used AUTH. */
  readonly user: string | undefined;
  /** Whether the session was encrypted (STARTTLS) when the message was sent. */
  readonly secure: boolean;
  readonly receivedAt: number;
}

/** What the catcher answers while it simulates an outage. */
export interface SmtpRefusal {
  /** `connect`: the greeting (the server closes the connection); `mail`: MAIL FROM; `data`: after the message is sent. */
  readonly stage: 'connect' | 'mail' | 'data';
  /** 421 / 451 are temporary (a mailer retries later); 554 is permanent. */
  readonly code: 421 | 451 | 452 | 550 | 554;
  readonly message?: string;
}

export interface SmtpCatcherOptions {
  /** Default 0: a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** When set, AUTH is required and only this user and password are accepted. */
  readonly auth?: { readonly user: string; readonly password: string };
  /**
   * `starttls` (the default with `auth`): STARTTLS is offered and AUTH is taken only after it. `none` (the default
   * without `auth`): no TLS, and AUTH, if configured, in the clear.
   */
  readonly tls?: 'starttls' | 'none';
  /** Largest message accepted; default 10 MiB. */
  readonly maxBytes?: number;
}

export interface SmtpCatcher {
  readonly host: string;
  readonly port: number;
  /** Every message accepted, oldest first. */
  readonly messages: readonly CaughtMessage[];
  /** How many transactions were refused by the outage switch or failed AUTH. */
  readonly refusals: number;
  /** How many AUTH commands reached the catcher (accepted or not), and how many of them came before TLS. */
  readonly authAttempts: { readonly total: number; readonly inTheClear: number };
  /** The CA (PEM) that signed the STARTTLS certificate, for clients to trust; undefined without TLS. */
  readonly caPem: string | undefined;
  /** Resolves with the first message (already caught or yet to come) that matches; rejects after `timeoutMs`. */
  waitFor(predicate: (m: CaughtMessage) => boolean, timeoutMs?: number): Promise<CaughtMessage>;
  /** Starts simulating an outage; `accept()` ends it. */
  refuse(refusal: SmtpRefusal): void;
  accept(): void;
  clear(): void;
  close(): Promise<void>;
}

type SmtpError = Error & { responseCode: number };

function smtpError(code: number, message: string): SmtpError {
  return Object.assign(new Error(message), { responseCode: code });
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  const list = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return list.flatMap((a) => a.value.map((v) => v.address ?? '')).filter((a) => a !== '');
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export async function startSmtpCatcher(options: SmtpCatcherOptions = {}): Promise<SmtpCatcher> {
  const host = options.host ?? '127.0.0.1';
  const messages: CaughtMessage[] = [];
  const events = new EventEmitter();
  let refusal: SmtpRefusal | undefined;
  let refusals = 0;
  const refused = (stage: SmtpRefusal['stage']): SmtpError | undefined => {
    if (refusal?.stage !== stage) return undefined;
    refusals += 1;
    const fallback = refusal.code === 421 ? 'Service not available, closing transmission channel' : 'Requested action aborted: local error in processing';
    return smtpError(refusal.code, refusal.message ?? fallback);
  };
  const auth = options.auth;
  const authAttempts = { total: 0, inTheClear: 0 };
  const starttls = (options.tls ?? (auth === undefined ? 'none' : 'starttls')) === 'starttls';
  const pki = starttls ? await createSandboxPki([host === '127.0.0.1' || host === '::1' ? 'localhost' : host]) : undefined;

  const server = new SMTPServer({
    secure: false,
    logger: false,
    banner: 'ResetPC sandbox SMTP catcher',
    size: options.maxBytes ?? 10 * 1024 * 1024,
    closeTimeout: 500,
    disabledCommands: [...(auth === undefined ? ['AUTH'] : []), ...(starttls ? [] : ['STARTTLS'])],
    authOptional: auth === undefined,
    ...(pki === undefined ? {} : { key: pki.keyPem, cert: pki.certPem }),
    // Without TLS (`tls: 'none'`), an old server's AUTH in the clear, to test that the product refuses to use it.
    allowInsecureAuth: !starttls,
    authMethods: ['PLAIN', 'LOGIN'],
    onConnect(_session, callback) {
      callback(refused('connect') ?? null);
    },
    onAuth(credentials, session, callback) {
      authAttempts.total += 1;
      if (!session.secure) authAttempts.inTheClear += 1;
      const ok =
        auth !== undefined &&
        credentials.username === auth.user &&
        typeof credentials.password === 'string' &&
        timingSafeEqual(digest(credentials.password), digest(auth.password));
      if (!ok) {
        refusals += 1;
        callback(smtpError(535, 'Authentication credentials invalid'));
        return;
      }
      callback(null, { user: auth.user });
    },
    onMailFrom(_address: SMTPServerAddress, _session, callback) {
      callback(refused('mail') ?? null);
    },
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          callback(smtpError(552, 'Message exceeds the size limit'));
          return;
        }
        const failure = refused('data');
        if (failure !== undefined) {
          callback(failure);
          return;
        }
        simpleParser(Buffer.concat(chunks))
          .then((parsed) => {
            const headers: Record<string, string> = {};
            for (const { key, line } of parsed.headerLines) {
              const value = line.slice(line.indexOf(':') + 1).trim();
              headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`;
            }
            const mailFrom = session.envelope.mailFrom;
            const message: CaughtMessage = {
              from: parsed.from?.text ?? '',
              to: addresses(parsed.to),
              cc: addresses(parsed.cc),
              envelope: { mailFrom: mailFrom === false ? '' : mailFrom.address, rcptTo: session.envelope.rcptTo.map((r) => r.address) },
              subject: parsed.subject ?? '',
              text: parsed.text,
              html: parsed.html === false ? undefined : parsed.html,
              headers,
              user: typeof session.user === 'string' ? session.user : undefined,
              secure: session.secure,
              receivedAt: Date.now(),
            };
            messages.push(message);
            events.emit('message', message);
            callback();
          })
          .catch(() => {
            callback(smtpError(451, 'The message could not be parsed'));
          });
      });
    },
  });
  server.on('error', () => undefined);

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    host,
    port,
    messages,
    get refusals() {
      return refusals;
    },
    authAttempts,
    caPem: pki?.caPem,
    waitFor(predicate, timeoutMs = 5000) {
      const found = messages.find(predicate);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise<CaughtMessage>((resolve, reject) => {
        const onMessage = (m: CaughtMessage): void => {
          if (!predicate(m)) return;
          clearTimeout(timer);
          events.off('message', onMessage);
          resolve(m);
        };
        const timer = setTimeout(() => {
          events.off('message', onMessage);
          reject(new Error(`no matching message reached the SMTP catcher within ${timeoutMs} ms (${messages.length} caught)`));
        }, timeoutMs);
        events.on('message', onMessage);
      });
    },
    refuse(r) {
      refusal = r;
    },
    accept() {
      refusal = undefined;
    },
    clear() {
      messages.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}
