/**
 * The Graph sendMail transport: `POST /users/{sender}/sendMail` with the message as base64 MIME (Content-Type
 * text/plain), so the email has the same text and HTML parts as over SMTP (learn.microsoft.com/graph/api/user-sendmail,
 * "send mail in MIME format"). Graph answers 202 (accepted, not delivered). The request is never resent by the
 * client's middleware: the notify queue retries, and honours Retry-After. Needs the Mail.Send application permission,
 * scoped to the sender's mailbox with Exchange RBAC for Applications.
 */
import { isProgrammingError } from '../../domain/programming-error';
import { GraphError as ClientGraphError, RetryHandlerOptions, type Client } from '@microsoft/microsoft-graph-client';
import MailComposer from 'nodemailer/lib/mail-composer';
import { parseRetryAfter } from '../../http/retry-after';
import { MailError } from './errors';
import { nodemailerOptions, type MailMessage, type MailTransport } from './transport';

/** Builds the MIME message (text and HTML alternatives) exactly as nodemailer sends it over SMTP. */
export async function buildMime(message: MailMessage): Promise<Buffer> {
  const composer = new MailComposer(nodemailerOptions(message));
  return composer.compile().build();
}

/** @throws the error itself when it is a bug in our own code (as toGraphError does): mapped, it would be retried as Graph being unavailable. */
export function graphMailFailure(err: unknown): MailError {
  if (isProgrammingError(err)) throw err;
  if (!(err instanceof ClientGraphError)) return new MailError('graph_mail_unavailable', 'Graph sendMail failed before Graph answered', 'transient');
  const status = err.statusCode;
  const id = err.requestId === null ? '' : `, request-id ${err.requestId}`;
  const code = err.code ?? '';
  if (status <= 0) return new MailError('graph_mail_unavailable', `Graph sendMail: no answer from Graph${code === '' ? '' : ` (${code})`}`, 'transient');
  if (status === 429 || status === 503) {
    const wait = parseRetryAfter(err.headers?.get('retry-after') ?? null);
    return status === 429
      ? new MailError('graph_mail_throttled', `Graph sendMail: ${status}${code === '' ? '' : ` ${code}`}${id}`, 'rate_limited', wait)
      : new MailError('graph_mail_unavailable', `Graph sendMail: ${status}${code === '' ? '' : ` ${code}`}${id}`, 'transient', wait);
  }
  if (status === 408 || status >= 500) return new MailError('graph_mail_unavailable', `Graph sendMail: Graph is unavailable (${status}${id})`, 'transient');
  if (status === 401) return new MailError('graph_mail_unauthorized', `Graph sendMail: Graph refused the access token (401${id})`, 'transient');
  if (status === 403) return new MailError('graph_mail_forbidden', `Graph sendMail: the app lacks Mail.Send for this mailbox (403 ${code}${id}); grant it and scope it with Exchange RBAC for Applications`, 'permanent');
  if (status === 404) return new MailError('graph_mail_sender_not_found', `Graph sendMail: the sender mailbox does not exist (404${id}); check NOTIFY_GRAPH_MAIL_SENDER`, 'permanent');
  return new MailError('graph_mail_refused', `Graph sendMail: Graph refused the message (${status} ${code}${id})`, 'permanent');
}

export function createGraphMailTransport(settings: { readonly client: Client; readonly sender: string }): MailTransport {
  const path = `/users/${encodeURIComponent(settings.sender)}/sendMail`;
  return {
    kind: 'graph',
    async send(message, signal) {
      const mime = (await buildMime(message)).toString('base64');
      try {
        let request = settings.client.api(path).version('v1.0').header('Content-Type', 'text/plain').middlewareOptions([new RetryHandlerOptions(0, 0, () => false)]);
        if (signal !== undefined) request = request.option('signal', signal);
        await request.post(mime);
      } catch (err) {
        throw graphMailFailure(err);
      }
    },
    close: () => Promise.resolve(),
  };
}
