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

/** `{a: 1, b: undefined}` → `{a: 1}`, typed for exactOptionalPropertyTypes. */
export type Stripped<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & { [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined> };

export function strip<T extends object>(value: T): Stripped<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Stripped<T>;
}
