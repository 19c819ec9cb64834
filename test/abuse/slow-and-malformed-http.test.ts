import { connect, type AddressInfo, type Socket } from 'node:net';
import { createTestIntake, type TestIntake } from '../support/intake';

/**
 * Attacks on the HTTP server itself, over raw TCP against a real listening intake:
 * - slowloris: connections that send a large declared body (a Jira webhook, a dashboard sign-in: both read before
 *   anything is authenticated) or their headers one byte at a time, or nothing at all, to hold connections open
 *   for ever. Each must be answered 408 in the documented shape and closed once its timeout passes.
 * - malformed HTTP that Node's parser refuses before Fastify sees it (a bad request line, a header without a colon,
 *   headers over the size limit): answered in the documented error shape, never echoing a byte of the input.
 * The timeouts are set to 1 s here so the test runs in seconds; production defaults are in docs/configuration.md.
 */
const TIMEOUT_MS = 1000;
/** Long enough for the timeout, Node's check interval and a slow CI machine; far shorter than "never". */
const DEADLINE_MS = 8000;

let t: TestIntake;
let port: number;

beforeAll(async () => {
  t = await createTestIntake('slowhttp', {
    RATE_LIMIT_MAX: '100000',
    REQUEST_TIMEOUT_MS: String(TIMEOUT_MS),
    HEADERS_TIMEOUT_MS: String(TIMEOUT_MS),
    CONNECTION_IDLE_TIMEOUT_MS: '5000',
  });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await t.close();
});

interface Exchange {
  /** Everything the server sent before it closed the connection. */
  readonly received: string;
  readonly openForMs: number;
}

/**
 * Opens a raw connection, hands it to `drive` (which may return a function that stops whatever it started), and
 * resolves once the server closes it; rejects if it is still open after `deadlineMs`.
 */
function exchange(drive: (socket: Socket) => (() => void) | undefined, deadlineMs = DEADLINE_MS): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    let stop: (() => void) | undefined;
    const opened = Date.now();
    const deadline = setTimeout(() => {
      stop?.();
      socket.destroy();
      reject(new Error(`the server still held the connection open after ${String(deadlineMs)} ms`));
    }, deadlineMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server closing the connection while the client still writes is the point: EPIPE and ECONNRESET are expected.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(deadline);
      stop?.();
      resolve({ received: Buffer.concat(chunks).toString('utf8'), openForMs: Date.now() - opened });
    });
    socket.on('connect', () => {
      stop = drive(socket);
    });
  });
}

/** Writes `head`, then one byte of `drip` every 200 ms, as a slowloris client does. */
function trickle(head: string, drip: string): (socket: Socket) => () => void {
  return (socket) => {
    socket.write(head);
    const timer = setInterval(() => {
      if (socket.writable) socket.write(drip);
    }, 200);
    return () => {
      clearInterval(timer);
    };
  };
}

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

function parseResponse(raw: string): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no complete HTTP response in ${JSON.stringify(raw.slice(0, 200))}`);
  const [statusLine = '', ...lines] = raw.slice(0, end).split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1]), headers, body: raw.slice(end + 4) };
}

function expectDocumentedError(res: RawResponse, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  expect(JSON.parse(res.body)).toEqual({ error: { code, message: expect.any(String) } });
}

describe('slow clients', () => {
  /** A declared body as large as the route accepts (1 MB for webhooks, BODY_LIMIT_BYTES for the sign-in form). */
  const bigBody = (path: string, contentType: string, length: number, first: string) =>
    `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: ${contentType}\r\nContent-Length: ${String(length)}\r\n\r\n${first}`;
  const webhook = (path: string) => trickle(bigBody(path, 'application/json', 1_048_576, '{'), ' ');
  const signIn = () => trickle(bigBody('/ops/login', 'application/x-www-form-urlencoded', 16_000, 'token='), 'a');

  it('closes five connections that send a large declared webhook or sign-in body a byte at a time, with 408', async () => {
    const attacks = [webhook('/v1/webhooks/jira'), webhook('/v1/webhooks/jira'), webhook('/v1/webhooks/servicenow'), signIn(), signIn()];
    const results = await Promise.all(attacks.map((drive) => exchange(drive)));
    for (const r of results) {
      expect(r.openForMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
      expectDocumentedError(parseResponse(r.received), 408, 'request_timeout');
    }
  });

  it('closes a connection that sends its headers a byte at a time, with 408', async () => {
    const r = await exchange(trickle('GET /health/live HTTP/1.1\r\nHost: localhost\r\nX-Slow: ', 'a'));
    expectDocumentedError(parseResponse(r.received), 408, 'request_timeout');
  });

  it('closes a connection that never sends a byte', async () => {
    const r = await exchange(() => undefined);
    expect(r.openForMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
  });

  it('still serves a client that sends its request at once, on the same server', async () => {
    const r = await exchange((socket) => {
      socket.write('GET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
      return undefined;
    });
    const res = parseResponse(r.received);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: 'live' });
  });
});

describe('requests the HTTP parser refuses', () => {
  const send = (raw: string) =>
    exchange((socket) => {
      socket.write(raw);
      return undefined;
    });

  it.each([
    ['a malformed request line', 'GET /<script>alert(1)</script> HTTP/1.1 extra\r\nHost: localhost\r\n\r\n', '<script>'],
    ['a method with markup in it', 'G<img>T / HTTP/1.1\r\nHost: localhost\r\n\r\n', '<img>'],
    ['a header without a colon', 'GET /health/live HTTP/1.1\r\nHost: localhost\r\nX-Bad <b>header</b>\r\n\r\n', '<b>'],
    ['a header with a bare CR in its value', 'GET /health/live HTTP/1.1\r\nHost: localhost\r\nX-Split: a\rInjected: <i>yes</i>\r\n\r\n', '<i>'],
  ])('answers %s with 400 in the documented shape, without echoing it', async (_label, raw, marker) => {
    const r = await send(raw);
    const res = parseResponse(r.received);
    expectDocumentedError(res, 400, 'bad_request');
    expect(r.received).not.toContain(marker);
  });

  it('answers headers over the size limit with 431 in the documented shape', async () => {
    const r = await send(`GET /health/live HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expectDocumentedError(parseResponse(r.received), 431, 'headers_too_large');
  });
});
