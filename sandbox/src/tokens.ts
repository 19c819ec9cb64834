/**
 * Access tokens of the simulated Entra ID: opaque random strings, remembered in memory with their tenant, app,
 * audience, roles and expiry, so the simulated Graph can check all four. The product treats tokens as opaque, as
 * Microsoft asks clients to do.
 */
import { randomBytes } from 'node:crypto';
import type { SandboxClock } from './clock';

export interface IssuedToken {
  readonly tenantId: string;
  readonly appId: string;
  /** The resource the token is for, e.g. https://graph.microsoft.com. */
  readonly audience: string;
  readonly roles: readonly string[];
  readonly issuedAt: number;
  readonly expiresAt: number;
}

export type TokenCheck =
  | { readonly ok: true; readonly token: IssuedToken }
  | { readonly ok: false; readonly reason: 'missing' | 'malformed' | 'unknown' | 'expired' | 'audience' };

const PREFIX = 'sbx-at.';

export class TokenAuthority {
  private readonly tokens = new Map<string, IssuedToken>();

  constructor(private readonly clock: SandboxClock) {}

  /** Issues a token valid for `lifetimeSeconds` from now. */
  issue(claims: Omit<IssuedToken, 'issuedAt' | 'expiresAt'>, lifetimeSeconds: number): { accessToken: string; token: IssuedToken } {
    this.prune();
    const now = this.clock.now();
    const token: IssuedToken = { ...claims, roles: [...claims.roles], issuedAt: now, expiresAt: now + lifetimeSeconds * 1000 };
    const accessToken = PREFIX + randomBytes(32).toString('base64url');
    this.tokens.set(accessToken, token);
    return { accessToken, token };
  }

  /** Checks an `Authorization` header value for one of `audiences`. */
  check(authorization: string | undefined, audiences: readonly string[]): TokenCheck {
    if (authorization === undefined || authorization.trim() === '') return { ok: false, reason: 'missing' };
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (match?.[1] === undefined) return { ok: false, reason: 'malformed' };
    const token = this.tokens.get(match[1]);
    if (token === undefined) return { ok: false, reason: 'unknown' };
    if (this.clock.now() >= token.expiresAt) return { ok: false, reason: 'expired' };
    if (!audiences.includes(token.audience)) return { ok: false, reason: 'audience' };
    return { ok: true, token };
  }

  /** Forgets tokens that expired more than an hour ago. */
  private prune(): void {
    const horizon = this.clock.now() - 60 * 60 * 1000;
    for (const [key, token] of this.tokens) if (token.expiresAt < horizon) this.tokens.delete(key);
  }
}
