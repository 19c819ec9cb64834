import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export function hmacSha256Hex(secret: string, data: Buffer | string): string {
  return createHmac('sha256', secret).update(data).digest('hex');
}

/** Compares a presented hex digest with the expected one in constant time (after a length check). */
export function digestsMatch(presentedHex: string, expectedHex: string): boolean {
  if (!/^[0-9a-fA-F]{64}$/.test(presentedHex)) return false;
  const a = Buffer.from(presentedHex.toLowerCase(), 'hex');
  const b = Buffer.from(expectedHex, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The SHA-256 of a raw body, in hex: the same for every byte-identical delivery, whatever its headers say. */
export function bodyDigest(rawBody: Buffer): string {
  return createHash('sha256').update(rawBody).digest('hex');
}

/**
 * The digits of a signature header that verifies, in lower case, else undefined. Callers that remember deliveries
 * key them on these digits, never on the header: `trim()` also removes U+00A0 and other Unicode spaces, so two
 * headers that differ only in such padding carry the same signature.
 */
function verified(pattern: RegExp, header: string | undefined, expectedHex: string): string | undefined {
  if (header === undefined) return undefined;
  const digits = pattern.exec(header.trim())?.[1];
  return digits !== undefined && digestsMatch(digits, expectedHex) ? digits.toLowerCase() : undefined;
}

/** Jira Cloud: `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body>`. Returns the matched hex digits. */
export function verifyJiraSignature(secret: string, rawBody: Buffer, header: string | undefined): string | undefined {
  return verified(/^sha256=([0-9a-fA-F]{64})$/, header, hmacSha256Hex(secret, rawBody));
}

/**
 * ServiceNow (our scheme, since ServiceNow signs nothing itself):
 * `X-ResetPC-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>">` and `X-ResetPC-Timestamp: <unix seconds>`.
 */
export function serviceNowSignature(secret: string, timestamp: string, rawBody: Buffer): string {
  return hmacSha256Hex(secret, Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), rawBody]));
}

/** Returns the matched hex digits (lower case) when the header verifies, else undefined. */
export function verifyServiceNowSignature(secret: string, timestamp: string, rawBody: Buffer, header: string | undefined): string | undefined {
  return verified(/^v1=([0-9a-fA-F]{64})$/, header, serviceNowSignature(secret, timestamp, rawBody));
}
