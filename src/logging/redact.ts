/**
 * Deep redaction for log records. pino's own `redact` paths cannot say "any field named passcode at any depth",
 * so every log object passes through `redactDeep` as well.
 */

export const REDACTED = '[redacted]';

/** Field names whose values are never logged, wherever they appear. */
const SENSITIVE_KEY =
  /^(passcode|password|passwd|secret|client_?secret|token|access_?token|refresh_?token|id_?token|api_?key|authorization|proxy-authorization|cookie|set-cookie|x-hub-signature|x-signature|signature|assertion|client_assertion)$|(secret|token|passcode|password)$/i;

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key);
}

/** Bearer tokens and the like inside free text (error messages, URLs). */
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g;

export function redactText(text: string): string {
  return text.replace(BEARER, `$1 ${REDACTED}`);
}

export function redactDeep(value: unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, seen));
  if (value instanceof Error) {
    // Only the class, the text, a string `code` (ECONNREFUSED, ...) and the cause: never the error's other fields. An
    // ioredis ReplyError carries the command and its arguments (a stored record, a session's CSRF token).
    const code: unknown = (value as { code?: unknown }).code;
    return {
      type: value.name,
      message: redactText(value.message),
      ...(typeof code === 'string' ? { code } : {}),
      stack: value.stack === undefined ? undefined : redactText(value.stack),
      ...(value.cause === undefined ? {} : { cause: redactDeep(value.cause, seen) }),
    };
  }
  if (value instanceof Date) return value;
  // Class instances (Fastify's request and reply, streams, clients) are left to pino's serializers, which read their
  // getters; copying them here would lose every field. Their known secret paths are redacted by pino's `redact`.
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = isSensitiveKey(k) ? REDACTED : redactDeep(v, seen);
  }
  return out;
}
