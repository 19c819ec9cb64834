/**
 * The email channel's one interface, with two transports: SMTP (nodemailer, smtp.ts) and Graph sendMail (graph.ts).
 * One contract test (test/notify/email-contract.test.ts) runs against both.
 */
export interface MailMessage {
  readonly from: string;
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export interface MailTransport {
  readonly kind: 'smtp' | 'graph';
  /** Hands the message over. Throws MailError (errors.ts): permanent (refused for good), rate-limited or transient (retry). */
  send(message: MailMessage, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** The message as nodemailer takes it (its SMTP transport and its MIME composer alike): the same parts either way. */
export function nodemailerOptions(message: MailMessage): { from: string; to: string[]; cc?: string[]; subject: string; text: string; html: string } {
  return {
    from: message.from,
    to: [...message.to],
    ...(message.cc.length === 0 ? {} : { cc: [...message.cc] }),
    subject: message.subject,
    text: message.text,
    html: message.html,
  };
}
