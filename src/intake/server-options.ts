import type { ConnectionError, FastifyInstance, FastifyServerOptions } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { ServerOptions, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Config } from '../config/schema';
import type { ErrorBody } from '../http/errors';

/**
 * The HTTP server's own defences, below any route: how long a slow client may take, and the answer to a request
 * Node's HTTP parser refuses before Fastify ever sees it.
 *
 * Webhook bodies and the dashboard sign-in are read before anything is authenticated, so without a request timeout a
 * client could hold any number of connections open by sending a large declared body a byte at a time.
 */
export type ServerTimeouts = Pick<Config, 'REQUEST_TIMEOUT_MS' | 'HEADERS_TIMEOUT_MS' | 'CONNECTION_IDLE_TIMEOUT_MS' | 'KEEP_ALIVE_TIMEOUT_MS'>;

/**
 * Node checks the request and headers timeouts on a timer (30 s by default, whatever the timeouts): check often enough
 * that a connection is closed within about a fifth of its timeout after it expired.
 */
function checkingIntervalMs(t: ServerTimeouts): number {
  return Math.max(100, Math.min(30_000, Math.floor(Math.min(t.HEADERS_TIMEOUT_MS, t.REQUEST_TIMEOUT_MS) / 5)));
}

export function serverTimeouts(t: ServerTimeouts): Pick<FastifyServerOptions, 'requestTimeout' | 'connectionTimeout' | 'keepAliveTimeout'> & { http: ServerOptions } {
  return {
    // Headers and body of one request, from its first byte; a slower request gets 408 and its connection is closed.
    requestTimeout: t.REQUEST_TIMEOUT_MS,
    // No byte in either direction for this long (a client that stopped reading its response, say): closed.
    connectionTimeout: t.CONNECTION_IDLE_TIMEOUT_MS,
    keepAliveTimeout: t.KEEP_ALIVE_TIMEOUT_MS,
    http: {
      requestTimeout: t.REQUEST_TIMEOUT_MS,
      headersTimeout: t.HEADERS_TIMEOUT_MS,
      keepAliveTimeout: t.KEEP_ALIVE_TIMEOUT_MS,
      connectionsCheckingInterval: checkingIntervalMs(t),
    },
  };
}

interface ParserRefusal {
  readonly status: number;
  readonly reason: string;
  readonly body: ErrorBody;
}

/** What each of Node's client errors means to a caller; anything else the parser refuses is a plain 400. */
function refusalOf(code: string): ParserRefusal {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, reason: 'Request Timeout', body: { error: { code: 'request_timeout', message: 'The request did not arrive in time; send it again without pausing' } } };
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, reason: 'Request Header Fields Too Large', body: { error: { code: 'headers_too_large', message: 'The request headers are larger than the limit' } } };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, reason: 'Payload Too Large', body: { error: { code: 'payload_too_large', message: 'The chunk extensions are larger than the limit' } } };
    default:
      return { status: 400, reason: 'Bad Request', body: { error: { code: 'bad_request', message: 'The request is not valid HTTP/1.1' } } };
  }
}

/**
 * Fastify's clientErrorHandler: a request Node's HTTP parser refused (a malformed request line or header, headers too
 * large) or that did not arrive in time gets the documented error shape, never a word of its input, and its connection
 * is closed. As Node itself does, nothing is written once a response on the connection has begun.
 */
export function answerClientError(this: FastifyInstance, error: ConnectionError, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, reason, body } = refusalOf(error.code);
  const id = randomUUID();
  this.log.info({ reqId: id, code: error.code, status }, 'a request the HTTP server refused before routing');
  // Node's own socketOnError checks the same: the response in flight on this socket, if any, must not have started.
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (socket.writable && (inFlight === undefined || inFlight === null || !inFlight.headersSent)) {
    const json = JSON.stringify(body);
    socket.write(
      `HTTP/1.1 ${String(status)} ${reason}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${String(Buffer.byteLength(json))}\r\n` +
        'Cache-Control: no-store\r\n' +
        'X-Content-Type-Options: nosniff\r\n' +
        `X-Request-Id: ${id}\r\n` +
        'Connection: close\r\n\r\n' +
        json,
    );
  }
  socket.destroy(error);
}
