import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { REFRESH_MARGIN_MS, SharedTokenCredential } from '../../src/graph/token-cache';

/** A credential that counts its token requests and answers when told to. */
class CountingCredential implements TokenCredential {
  requests: { scopes: string | string[]; options?: GetTokenOptions | undefined }[] = [];
  private release: ((token: AccessToken | null) => void)[] = [];
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    this.requests.push({ scopes, options });
    return new Promise((resolve) => this.release.push(resolve));
  }
  answer(token: AccessToken | null): void {
    for (const r of this.release.splice(0)) r(token);
  }
}

describe('SharedTokenCredential', () => {
  let now = 1_000_000;
  const token = (expiresInMs: number, value = 'tok'): AccessToken => ({ token: value, expiresOnTimestamp: now + expiresInMs });

  it('makes one token request for many concurrent callers, then answers from memory', async () => {
    const inner = new CountingCredential();
    const shared = new SharedTokenCredential(inner, () => now);
    const callers = Array.from({ length: 50 }, () => shared.getToken(['https://graph.microsoft.com/.default']));
    inner.answer(token(3_600_000));
    const tokens = await Promise.all(callers);
    expect(new Set(tokens.map((t) => t?.token))).toEqual(new Set(['tok']));
    expect(inner.requests).toHaveLength(1);
    await shared.getToken(['https://graph.microsoft.com/.default']);
    expect(inner.requests).toHaveLength(1);
  });

  it('asks again within the refresh margin before expiry, and keeps scopes apart', async () => {
    const inner = new CountingCredential();
    const shared = new SharedTokenCredential(inner, () => now);
    const first = shared.getToken('a/.default');
    inner.answer(token(REFRESH_MARGIN_MS + 1_000));
    await first;
    now += 2_000;
    const second = shared.getToken('a/.default');
    const other = shared.getToken('b/.default');
    expect(inner.requests.map((r) => r.scopes)).toEqual(['a/.default', 'a/.default', 'b/.default']);
    inner.answer(token(3_600_000, 'fresh'));
    expect((await second)?.token).toBe('fresh');
    await other;
  });

  it('passes calls with claims straight through, and caches nothing after a failed request', async () => {
    const inner = new CountingCredential();
    const shared = new SharedTokenCredential(inner, () => now);
    const challenged = shared.getToken('a/.default', { claims: '{"access_token":{}}' });
    inner.answer(token(3_600_000));
    await challenged;
    const failing = shared.getToken('a/.default');
    inner.answer(null);
    expect(await failing).toBeNull();
    const again = shared.getToken('a/.default');
    inner.answer(token(3_600_000));
    await again;
    expect(inner.requests).toHaveLength(3);
  });
});
