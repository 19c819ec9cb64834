/**
 * The email transports' typed errors, RemoteErrors (src/remote/errors.ts) of system `mail`, whichever transport sent:
 * SMTP (smtp.ts) or Graph sendMail (graph.ts). Their codes name the transport already (`smtp_auth`,
 * `graph_mail_forbidden`), and are shown as they are.
 */
import { RemoteError, type RemoteErrorKind } from '../../remote/errors';

export type MailErrorCode =
  | 'smtp_auth'
  | 'smtp_tls_required'
  | 'smtp_refused'
  | 'smtp_unavailable'
  | 'graph_mail_unavailable'
  | 'graph_mail_throttled'
  | 'graph_mail_unauthorized'
  | 'graph_mail_forbidden'
  | 'graph_mail_sender_not_found'
  | 'graph_mail_refused';

export class MailError extends RemoteError {
  override readonly name = 'MailError';
  readonly system = 'mail';

  constructor(
    readonly code: MailErrorCode,
    message: string,
    readonly kind: RemoteErrorKind,
    override readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  override get qualifiedCode(): string {
    return this.code;
  }
}
