/**
 * OAuth 2.0 client credentials against the instance's `POST /oauth_token.do` (the grant must be enabled on the
 * instance). The token is cached until shortly before `expires_in`; concurrent callers share one token request.
 * The client secret stays in this object's private fields: it is never in a message, a log line or an error.
 */
import { z } from 'zod';
import { ServiceNowAuthError, ServiceNowPermanentError } from './errors';
import { abortable, exchange, failure, type TransportSettings } from './transport';

const tokenSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]),
});

const OP = 'POST /oauth_token.do';

export class OAuthTokenSource {
  readonly #clientId: string;
  readonly #clientSecret: string;
  #cached: { readonly token: string; readonly refreshAt: number } | undefined;
  #pending: Promise<string> | undefined;

  constructor(
    private readonly tokenUrl: string,
    clientId: string,
    clientSecret: string,
    private readonly transport: TransportSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.#clientId = clientId;
    this.#clientSecret = clientSecret;
  }

  /** A valid access token, from the cache or a new token request. */
  async token(signal: AbortSignal | undefined): Promise<string> {
    const cached = this.#cached;
    if (cached !== undefined && this.now() < cached.refreshAt) return cached.token;
    this.#pending ??= this.request().finally(() => {
      this.#pending = undefined;
    });
    return abortable(this.#pending, signal, OP);
  }

  /** Forgets `token` (the instance refused it), so the next call asks for a new one. */
  invalidate(token: string): void {
    if (this.#cached?.token === token) this.#cached = undefined;
  }

  private async request(): Promise<string> {
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: this.#clientId, client_secret: this.#clientSecret }).toString();
    const answer = await exchange(this.transport, {
      method: 'POST',
      url: this.tokenUrl,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'user-agent': 'resetpc-servicenow-client' },
      body,
      signal: undefined,
      op: OP,
    });
    if (answer.status === 400 || answer.status === 401) {
      // The token endpoint's error body is OAuth's, not the Table API's; it never carries anything we need to show.
      throw new ServiceNowAuthError(`ServiceNow refused the OAuth client credentials (${answer.status}): check the client id and secret, and that the client credentials grant is enabled`, answer.status);
    }
    if (answer.status < 200 || answer.status >= 300) throw failure(answer, OP);
    const parsed = tokenSchema.safeParse(answer.json);
    if (!parsed.success) throw new ServiceNowPermanentError('invalid_response', `ServiceNow's answer to ${OP} is not an OAuth token response: check the instance URL`);
    const lifetimeMs = parsed.data.expires_in * 1000;
    // Refresh a little early: a minute before expiry, or at 90 % of a short lifetime.
    const margin = Math.min(60_000, lifetimeMs / 10);
    this.#cached = { token: parsed.data.access_token, refreshAt: this.now() + lifetimeMs - margin };
    return parsed.data.access_token;
  }
}
