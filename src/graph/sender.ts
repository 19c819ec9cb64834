/**
 * The Graph client's sender: the last middleware of its chain, in place of the client's HTTPMessageHandler, which
 * calls the global `fetch`. This one sends with undici's `request` on the same dispatcher and hands the chain the same
 * thing fetch would: a `Response` with the status, the headers, the body and the URL.
 *
 * Why: every reset makes four Graph calls, and fetch's WHATWG machinery (a Request, an AbortSignal, Headers, a body
 * stream) cost about 100 µs of CPU per call more than `request` in a same-process comparison on the development
 * machine; see docs/benchmarks.md (2026-12-06, "the Graph client's sender").
 *
 * What stays as it was with fetch:
 * - Redirects are not followed here: the client's RedirectHandler follows them (fetch ran with `redirect: 'manual'`)
 *   and reads `response.url` to drop the token on a redirect to another host, so the Response carries the URL.
 * - The request's AbortSignal aborts the request; a network error, a timeout or an abort rejects, and the client
 *   turns it into its GraphError without a status, as it did fetch's rejections.
 * - Only what the chain set is sent: no content coding is asked for (fetch asked for gzip), so Graph answers plain
 *   JSON; a body compressed anyway is decoded, as fetch would have.
 * - A body that breaks off fails when the client reads it, with the status and headers already in hand.
 * A request this sender cannot make the same way (a `Request` object instead of a URL, a body that is not text or
 * bytes) goes through fetch, as before.
 */
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { request, type Dispatcher } from 'undici';

/** Statuses whose Response has no body (the Response constructor refuses one). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

type HttpMethod = Dispatcher.HttpMethod;
const METHODS: ReadonlySet<string> = new Set<HttpMethod>(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The request's headers as undici takes them: a Headers object or a record (what the client's chain builds). */
function headersOf(init: RequestInit | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  const given = init?.headers;
  if (given === undefined) return headers;
  new Headers(given).forEach((value, name) => {
    headers[name] = value;
  });
  return headers;
}

/** The answer's headers for a Response: undici gives a record of strings and arrays of strings. */
function responseHeaders(raw: Record<string, string | string[] | undefined>): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) pairs.push([name, v]);
    else pairs.push([name, value]);
  }
  return pairs;
}

/**
 * The body without its content coding. None is asked for, but a proxy or a front end may compress anyway, as fetch
 * would have decoded: gzip, deflate and br are decoded here (and the header dropped); any other coding throws.
 */
export function decoded(bytes: Uint8Array, headers: [string, string][]): Uint8Array {
  const at = headers.findIndex(([name]) => name === 'content-encoding');
  if (at < 0) return bytes;
  const codings = (headers[at]?.[1] ?? '').split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'identity');
  let out: Uint8Array = bytes;
  for (const coding of codings.reverse()) {
    if (coding === 'gzip' || coding === 'x-gzip') out = gunzipSync(out);
    else if (coding === 'deflate') out = inflateSync(out);
    else if (coding === 'br') out = brotliDecompressSync(out);
    else throw new Error(`Graph answered with a content coding the client cannot decode: ${coding}`);
  }
  headers.splice(at, 1);
  return out;
}

export class UndiciSender implements Middleware {
  async execute(context: Context): Promise<void> {
    const init = context.options;
    // The client's fetchOptions name a dispatcher when there is an extra CA; else undici's global one, as for fetch.
    const dispatcher = (init as { dispatcher?: Dispatcher } | undefined)?.dispatcher;
    const method = (init?.method ?? 'GET').toUpperCase();
    const body = init?.body ?? undefined;
    const plainBody = body === undefined || typeof body === 'string' || body instanceof Uint8Array;
    // The client types the request with the DOM's RequestInfo: a URL string (all it builds) or a Request.
    const target = context.request as unknown as string | Request;
    if (typeof target !== 'string' || !plainBody || !METHODS.has(method)) {
      context.response = await fetch(target, context.options);
      return;
    }
    const url = target;
    const answer = await request(url, {
      method,
      headers: headersOf(init),
      ...(body === undefined ? {} : { body }),
      ...(init?.signal === undefined || init.signal === null ? {} : { signal: init.signal }),
      ...(dispatcher === undefined ? {} : { dispatcher }),
    });
    const headers = responseHeaders(answer.headers);
    let answerBody: Uint8Array | ReadableStream | null;
    if (NULL_BODY.has(answer.statusCode) || method === 'HEAD') {
      await answer.body.dump();
      answerBody = null;
    } else {
      try {
        answerBody = decoded(new Uint8Array(await answer.body.arrayBuffer()), headers);
      } catch (err) {
        // As with fetch, a body that breaks off (or cannot be decoded) fails when the client reads it: the status and
        // headers (a 429's Retry-After, a success cut short) still reach the client's error handling.
        answerBody = new ReadableStream({
          start(controller) {
            controller.error(err);
          },
        });
      }
    }
    const response = new Response(answerBody, { status: answer.statusCode, headers });
    // As fetch's Response has it: the client's RedirectHandler compares it with a redirect's target.
    Object.defineProperty(response, 'url', { value: url });
    context.response = response;
  }
}
