/**
 * The simulated Entra ID (v2.0 endpoints): OpenID configuration and the client-credentials token endpoint, with
 * errors in the AAD OAuth shape `{error, error_description, error_codes, timestamp, trace_id, correlation_id}`.
 * Enough for the real @azure/identity ClientSecretCredential (authorityHost = the sandbox, disableInstanceDiscovery).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { SandboxControl } from './control';

export interface EntraOptions {
  readonly control: SandboxControl;
  /** The sandbox origin; tokens may be asked for it as well as for https://graph.microsoft.com. */
  readonly origin: () => string;
  /** Other resources the tenant knows (tokens for them are rejected by Graph: wrong audience). */
  readonly otherResources: readonly string[];
}

type TokenForm = Partial<Record<'grant_type' | 'client_id' | 'client_secret' | 'scope', string>>;

class AadError {
  constructor(
    readonly status: 400 | 401,
    readonly error: string,
    readonly code: number,
    readonly description: string,
  ) {}
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (match?.[1] === undefined) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
}

export function registerEntra(app: FastifyInstance, options: EntraOptions): void {
  const { control } = options;

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8'))));
  });

  const sendError = (reply: FastifyReply, e: AadError): FastifyReply => {
    const traceId = randomUUID();
    const correlationId = randomUUID();
    const timestamp = new Date(control.clock.now()).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
    return reply
      .code(e.status)
      .header('cache-control', 'no-store, no-cache')
      .send({
        error: e.error,
        error_description: `AADSTS${e.code}: ${e.description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
        error_codes: [e.code],
        timestamp,
        trace_id: traceId,
        correlation_id: correlationId,
        error_uri: `${options.origin()}/error?code=${e.code}`,
      });
  };

  const tenantNotFound = (tenant: string): AadError =>
    new AadError(400, 'invalid_request', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
  const missing = (name: string): AadError => new AadError(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`);

  app.get('/:tenant/v2.0/.well-known/openid-configuration', (request: FastifyRequest<{ Params: { tenant: string } }>, reply) => {
    const { tenant } = request.params;
    if (tenant.toLowerCase() !== control.state.tenantId.toLowerCase()) return sendError(reply, tenantNotFound(tenant));
    const base = `${options.origin()}/${control.state.tenantId}`;
    return reply.send({
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${base}/v2.0`,
      request_uri_parameter_supported: false,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      tenant_region_scope: 'EU',
      cloud_instance_name: 'sandbox.invalid',
      msgraph_host: new URL(options.origin()).host,
    });
  });

  app.get('/:tenant/discovery/v2.0/keys', (_request, reply) => reply.send({ keys: [] }));

  app.post('/:tenant/oauth2/v2.0/token', (request: FastifyRequest<{ Params: { tenant: string }; Body: TokenForm | undefined }>, reply) => {
    const { tenant } = request.params;
    const form: TokenForm = request.body ?? {};
    const basic = basicCredentials(request.headers.authorization);
    const clientId = form.client_id ?? basic?.id;
    const record = (status: number, error?: string): void => {
      control.tokenRequests.push({ at: control.clock.now(), tenant, clientId, grantType: form.grant_type, scope: form.scope, status, ...(error === undefined ? {} : { error }) });
    };
    const fail = (e: AadError): FastifyReply => {
      record(e.status, e.error);
      return sendError(reply, e);
    };

    if (tenant.toLowerCase() !== control.state.tenantId.toLowerCase()) return fail(tenantNotFound(tenant));
    if (form.grant_type === undefined) return fail(missing('grant_type'));
    if (form.grant_type !== 'client_credentials') return fail(new AadError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${form.grant_type}'.`));
    if (clientId === undefined) return fail(missing('client_id'));
    if (form.scope === undefined) return fail(missing('scope'));
    const app = control.app(clientId);
    if (app === undefined) {
      return fail(new AadError(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${control.state.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`));
    }
    const secret = form.client_secret ?? basic?.secret;
    if (secret === undefined) return fail(new AadError(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."));
    if (!sameSecret(secret, app.clientSecret)) {
      return fail(new AadError(401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`));
    }
    const scopes = form.scope.split(' ').filter((s) => s !== '' && !['openid', 'profile', 'offline_access'].includes(s));
    const scope = scopes[0];
    if (scopes.length !== 1 || scope === undefined || !scope.endsWith('/.default')) {
      return fail(new AadError(400, 'invalid_scope', 1002012, `The provided value for scope ${form.scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`));
    }
    const resource = scope.slice(0, -'/.default'.length);
    const known = ['https://graph.microsoft.com', options.origin(), ...options.otherResources];
    if (!known.includes(resource)) {
      return fail(new AadError(400, 'invalid_resource', 500011, `The resource principal named ${resource} was not found in the tenant named ${control.state.tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`));
    }

    const lifetime = control.tokenLifetimeSeconds;
    const { accessToken } = control.tokens.issue({ tenantId: control.state.tenantId, appId: app.clientId, audience: resource, roles: app.roles }, lifetime);
    record(200);
    return reply.header('cache-control', 'no-store, no-cache').send({ token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken });
  });
}
