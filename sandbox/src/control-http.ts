/** Small helpers shared by the sandbox's HTTP control API routes. */
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';

/** Validates a control request; on failure sends 400 with each field named and returns undefined. */
export function parse<T>(schema: z.ZodType<T>, value: unknown, reply: FastifyReply): T | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  void reply.code(400).send({ error: { code: 'validation_failed', message: 'invalid control request', details: result.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })) } });
  return undefined;
}

/** Sends the control API's error shape: `{error: {code, message}}`. */
export function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).send({ error: { code, message } });
}

/** 404 for a name in the path that the sandbox does not hold (a ticket, an issue, an approval, a fault rule). */
export function notFound(reply: FastifyReply, message: string): FastifyReply {
  return sendError(reply, 404, 'not_found', message);
}

/** 409 for a request that would clash with what the sandbox already holds (a ticket number taken). */
export function conflict(reply: FastifyReply, message: string): FastifyReply {
  return sendError(reply, 409, 'conflict', message);
}

/** 400 for a body that names something the sandbox does not hold (a user, an account, a project), with the field. */
export function unknownReference(reply: FastifyReply, field: string, message: string): FastifyReply {
  return reply.code(400).send({ error: { code: 'validation_failed', message, details: [{ field, message }] } });
}

/** `{a: 1, b: undefined}` → `{a: 1}`, typed for exactOptionalPropertyTypes. */
export type Stripped<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & { [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined> };

export function strip<T extends object>(value: T): Stripped<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Stripped<T>;
}

/** 409 for a route whose part of the sandbox is switched off (no webhook secret, no SMTP catcher). */
export function notConfigured(reply: FastifyReply, message: string): FastifyReply {
  return sendError(reply, 409, 'not_configured', message);
}
