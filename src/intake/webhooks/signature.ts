import { createHmac, timingSafeEqual } from 'node:crypto';

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

/** Jira Cloud: `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body>`. */
export function verifyJiraSignature(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  if (header === undefined) return false;
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (match?.[1] === undefined) return false;
  return digestsMatch(match[1], hmacSha256Hex(secret, rawBody));
}

/**
 * ServiceNow (our scheme, since ServiceNow signs nothing itself):
 * `X-ResetPC-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>">` and `X-ResetPC-Timestamp: <unix seconds>`.
 */
export function serviceNowSignature(secret: string, timestamp: string, rawBody: Buffer): string {
  return hmacSha256Hex(secret, Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), rawBody]));
}

export function verifyServiceNowSignature(secret: string, timestamp: string, rawBody: Buffer, header: string | undefined): boolean {
  if (header === undefined) return false;
  const match = /^v1=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (match?.[1] === undefined) return false;
  return digestsMatch(match[1], serviceNowSignature(secret, timestamp, rawBody));
}
