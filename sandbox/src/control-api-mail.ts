/**
 * The control API of the SMTP catcher, under /_sandbox/emails: read and clear the messages it accepted, and simulate an
 * outage (the catcher refuses at a chosen stage with a chosen code) and the recovery. 409 when the catcher is off.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { notConfigured, parse, strip } from './control-http';
import type { SmtpCatcher } from './smtp';

const outage = z
  .strictObject({
    stage: z.enum(['connect', 'mail', 'data']),
    code: z.union([z.literal(421), z.literal(451), z.literal(452), z.literal(550), z.literal(554)]),
    message: z.string().min(1).max(200).regex(/^[\x20-\x7e]+$/, { error: 'printable ASCII only' }).optional(),
  });

const OFF = 'the SMTP catcher is off in this sandbox';

export function registerMailControlApi(app: FastifyInstance, deps: { smtp?: SmtpCatcher }): void {
  const { smtp } = deps;

  app.get('/_sandbox/emails', () => (smtp === undefined ? [] : smtp.messages));

  app.delete('/_sandbox/emails', (_request, reply) => {
    smtp?.clear();
    return reply.code(204).send();
  });

  app.put('/_sandbox/emails/outage', (request, reply) => {
    const refusal = parse(outage, request.body, reply);
    if (refusal === undefined) return reply;
    if (smtp === undefined) return notConfigured(reply, OFF);
    smtp.refuse(strip(refusal));
    return reply.code(204).send();
  });

  app.delete('/_sandbox/emails/outage', (_request, reply) => {
    if (smtp === undefined) return notConfigured(reply, OFF);
    smtp.accept();
    return reply.code(204).send();
  });
}
