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

/**
 * A busy process's stdout for log lines: pino's asynchronous destination, written in blocks of about 4 KiB instead of
 * one write per line, and at least every 100 ms, so a quiet process's lines still appear at once to a reader. pino
 * writes what is left synchronously when the process exits (a fatal error included). The intake's access lines go here:
 * one write per line, each through the thread pool, cost about a tenth of its CPU under load (issue 12, ADR 016).
 */
export function bufferedStdout(): DestinationStream {
  return pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 100 });
}

export function createLogger(level: string, name: string, destination?: DestinationStream): Logger {
  return destination === undefined ? pino(loggerOptions(level, name)) : pino(loggerOptions(level, name), destination);
}
