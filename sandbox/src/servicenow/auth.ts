/**
 * Authentication of the simulated instance:
 * - Basic: a seeded user_name and password.
 * - OAuth 2.0 client credentials (docs: "OAuth client credentials grant type"; it must be enabled on a real instance):
 *   `POST /oauth_token.do` with a form body `grant_type=client_credentials&client_id=…&client_secret=…` (or the client
 *   in a Basic header) answers `{access_token, scope, token_type: "Bearer", expires_in}`. Tokens are opaque and expire.
 *   Bad client credentials answer 401 `{"error_description":"access_denied","error":"server_error"}`, the body
 *   integrators report from real instances (demisto/content-docs#1301: "Error in API call [401] - Unauthorized
 *   {"error_description": "access_denied", "error": "server_error"}"), not RFC 6749's `invalid_client`.
 * Anything else on the Table API is 401 `User Not Authenticated` with `WWW-Authenticate`.
 * Secrets are compared in constant time and never recorded.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SandboxClock } from '../clock';
import type { ServiceNowState } from './model';

export interface TokenRequestRecord {
  readonly at: number;
  readonly clientId: string | undefined;
  readonly grantType: string | undefined;
  readonly status: number;
}

interface IssuedToken {
  readonly userName: string;
  readonly clientId: string;
  readonly expiresAt: number;
}

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

function basicPair(header: string): { user: string; secret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (match?.[1] === undefined) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

export class ServiceNowAuth {
  private readonly tokens = new Map<string, IssuedToken>();
  readonly tokenRequests: TokenRequestRecord[] = [];

  constructor(
    private readonly state: ServiceNowState,
    private readonly clock: SandboxClock,
    /** Lifetime of access tokens; ServiceNow's default for an OAuth entity is 1800 s. */
    public tokenLifetimeSeconds: number,
  ) {}

  /** The user_name behind an Authorization header, or undefined. */
  authenticate(header: string | undefined): string | undefined {
    if (header === undefined) return undefined;
    const bearer = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (bearer?.[1] !== undefined) {
      const token = this.tokens.get(bearer[1]);
      if (token === undefined || token.expiresAt <= this.clock.now()) return undefined;
      return token.userName;
    }
    const pair = basicPair(header);
    if (pair === undefined) return undefined;
    const account = this.state.accounts.find((a) => a.userName === pair.user);
    // Compare against a dummy when the user is unknown, so timing does not tell which user names exist.
    const ok = sameSecret(pair.secret, account?.password ?? '\u0000no-such-user');
    return ok && account !== undefined ? account.userName : undefined;
  }

  /** `POST /oauth_token.do` with the raw form body. */
  token(body: string, authorization: string | undefined): { status: number; body: unknown } {
    const form = new URLSearchParams(body);
    const grantType = form.get('grant_type') ?? undefined;
    const fromHeader = authorization === undefined ? undefined : basicPair(authorization);
    const clientId = form.get('client_id') ?? fromHeader?.user;
    const clientSecret = form.get('client_secret') ?? fromHeader?.secret;
    const answer = (status: number, payload: unknown): { status: number; body: unknown } => {
      this.tokenRequests.push({ at: this.clock.now(), clientId, grantType, status });
      return { status, body: payload };
    };
    if (grantType !== 'client_credentials') {
      return answer(400, { error: 'unsupported_grant_type', error_description: 'The sandbox supports grant_type=client_credentials only' });
    }
    const client = this.state.oauthClients.find((c) => c.clientId === clientId);
    const ok = sameSecret(clientSecret ?? '', client?.clientSecret ?? '\u0000no-such-client');
    if (client === undefined || !ok) return answer(401, { error_description: 'access_denied', error: 'server_error' });
    this.prune();
    const accessToken = randomBytes(32).toString('base64url');
    this.tokens.set(accessToken, { userName: client.userName, clientId: client.clientId, expiresAt: this.clock.now() + this.tokenLifetimeSeconds * 1000 });
    return answer(200, { access_token: accessToken, scope: 'useraccount', token_type: 'Bearer', expires_in: this.tokenLifetimeSeconds });
  }

  /** Makes every issued token expire now (a test of the client's refresh). */
  expireAllTokens(): void {
    this.tokens.clear();
  }

  private prune(): void {
    const now = this.clock.now();
    for (const [key, token] of this.tokens) if (token.expiresAt <= now) this.tokens.delete(key);
  }
}
