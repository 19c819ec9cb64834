/**
 * The Graph client's sender (src/graph/sender.ts, ADR 018) asks for no content coding, but decodes one if a proxy or
 * a front end compresses anyway, as fetch did: gzip, deflate and br (RFC 9110 §8.4), in the order applied.
 */
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { decoded } from '../../src/graph/sender';

const json = new TextEncoder().encode('{"value":[]}');
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

describe('the Graph sender\'s content decoding', () => {
  it('passes a body without a content coding through', () => {
    const headers: [string, string][] = [['content-type', 'application/json']];
    expect(decoded(json, headers)).toBe(json);
    expect(headers).toEqual([['content-type', 'application/json']]);
  });

  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ] as const)('decodes %s and drops the header', (coding, encode) => {
    const headers: [string, string][] = [['content-encoding', coding], ['content-type', 'application/json']];
    expect(text(decoded(encode(json), headers))).toBe('{"value":[]}');
    expect(headers).toEqual([['content-type', 'application/json']]);
  });

  it('undoes several codings in reverse order, and refuses one it does not know', () => {
    expect(text(decoded(brotliCompressSync(gzipSync(json)), [['content-encoding', 'gzip, br']]))).toBe('{"value":[]}');
    expect(() => decoded(json, [['content-encoding', 'zstd']])).toThrow(/cannot decode: zstd/);
  });
});
