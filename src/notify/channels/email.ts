/**
 * The email channel: one message, to the requester (when `requestedBy` is an email address) and/or the operations
 * mailbox (in Cc when both), with a text and an HTML part; the subject carries the ticket key and the device name.
 */
import type { MailTransport } from '../email/transport';
import type { NotificationMessage } from '../message';
import type { EmailSettings } from '../settings';
import type { ChannelContext } from './step';

const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

export interface Recipients {
  readonly to: readonly string[];
  readonly cc: readonly string[];
}

export function recipientsFor(requestedBy: string, settings: EmailSettings): Recipients {
  const requester = settings.to.includes('requester') && EMAIL.test(requestedBy) ? requestedBy : undefined;
  const operations = settings.to.includes('operations') ? settings.operationsMailbox : undefined;
  if (requester !== undefined) return { to: [requester], cc: operations === undefined || operations.toLowerCase() === requester.toLowerCase() ? [] : [operations] };
  return { to: operations === undefined ? [] : [operations], cc: [] };
}

export async function deliverByEmail(transport: MailTransport, recipients: Recipients, message: NotificationMessage, settings: EmailSettings, ctx: ChannelContext): Promise<void> {
  await ctx.step('email', () =>
    transport.send({ from: settings.from, to: recipients.to, cc: recipients.cc, subject: message.subject, text: message.text, html: message.html }, ctx.signal),
  );
}
