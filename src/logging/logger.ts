import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { redactDeep } from './redact';

export type { Logger } from 'pino';

/** The logging a service needs; satisfied by a pino logger and by Fastify's request and app loggers. */
export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * pino options shared by every process: JSON lines, ISO times, and redaction at two levels:
 * pino's fast path for the known header locations, and a deep walk for any sensitive field name.
 */
export function loggerOptions(level: string, name: string): LoggerOptions {
  return {
    name,
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-hub-signature"]', 'req.headers["x-signature"]'],
      censor: '[redacted]',
    },
    formatters: {
      log: (obj) => redactDeep(obj) as Record<string, unknown>,
    },
    serializers: {
      // An error is logged as redactDeep writes it (class, text, code, cause), never with its other fields; the `log`
      // formatter may have done so already, and then the result is kept as it is (its class name included).
      err: (err: unknown) => (err instanceof Error ? redactDeep(err) : err),
    },
  };
}

export function createLogger(level: string, name: string, destination?: DestinationStream): Logger {
  return destination === undefined ? pino(loggerOptions(level, name)) : pino(loggerOptions(level, name), destination);
}
