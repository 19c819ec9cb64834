/**
 * One access token per scope set, shared by every concurrent Graph call of the process. MSAL caches tokens too, but
 * each lookup costs a cache search, and calls made before the first token arrives each start their own token
 * request. This wrapper answers from memory until five minutes before expiry, and concurrent callers share one
 * request. Calls that carry claims (a Continuous Access Evaluation challenge) or another tenant go straight through.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';

/** Refresh this long before a token expires, as MSAL does. */
export const REFRESH_MARGIN_MS = 5 * 60_000;

export class SharedTokenCredential implements TokenCredential {
  private readonly tokens = new Map<string, AccessToken>();
  private readonly pending = new Map<string, Promise<AccessToken | null>>();

  constructor(
    private readonly inner: TokenCredential,
    private readonly now: () => number = Date.now,
  ) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    if (options?.claims !== undefined || options?.tenantId !== undefined) return this.inner.getToken(scopes, options);
    const key = (Array.isArray(scopes) ? scopes : [scopes]).join(' ');
    const cached = this.tokens.get(key);
    if (cached !== undefined && cached.expiresOnTimestamp - this.now() > REFRESH_MARGIN_MS) return cached;
    let request = this.pending.get(key);
    if (request === undefined) {
      request = this.inner.getToken(scopes, options).then(
        (token) => {
          if (token === null) this.tokens.delete(key);
          else this.tokens.set(key, token);
          return token;
        },
      ).finally(() => this.pending.delete(key));
      this.pending.set(key, request);
    }
    return request;
  }
}
