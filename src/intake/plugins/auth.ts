import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { Role } from '../../config/schema';
import { hasRole, type Caller, type TokenRegistry } from '../../auth/tokens';
import { HttpError, forbidden, unauthorized } from '../../http/errors';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
  interface FastifyInstance {
    /**
     * An onRequest hook that admits a bearer token holding any of `roles` (`admin` holds them all). A missing or wrong
     * token is counted against its source address's rate limit: 401 until that budget is spent, then 429.
     */
    requireRole(...roles: Role[]): onRequestAsyncHookHandler;
  }
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{16,512})$/;

function authenticate(request: FastifyRequest, tokens: TokenRegistry): Caller {
  const header = request.headers.authorization;
  if (header === undefined) throw unauthorized();
  const match = BEARER.exec(header);
  if (match?.[1] === undefined) throw unauthorized('The Authorization header must be "Bearer <token>"');
  const caller = tokens.authenticate(match[1]);
  if (caller === undefined) throw unauthorized('The bearer token is not valid');
  return caller;
}

/**
 * Puts the caller on every later line of the request, its access line too. The request's logger is a pino child that
 * Fastify made for this request alone, so it takes the binding in place: no second child logger per request.
 */
function bindCaller(request: FastifyRequest, name: string): void {
  const log = request.log as FastifyRequest['log'] & { setBindings?: (bindings: Record<string, unknown>) => void };
  if (typeof log.setBindings === 'function') log.setBindings({ caller: name });
  else request.log = request.log.child({ caller: name });
}

/** The authenticated caller of a route guarded by `requireRole` (401 if, impossibly, there is none). */
export function callerOf(request: FastifyRequest): Caller {
  if (request.caller === null) throw unauthorized();
  return request.caller;
}

export const authPlugin = fp(
  (app: FastifyInstance, opts: { tokens: TokenRegistry }) => {
    app.decorateRequest('caller', null);
    app.decorate('requireRole', (...roles: Role[]): onRequestAsyncHookHandler => {
      return async (request) => {
        let caller: Caller;
        try {
          caller = authenticate(request, opts.tokens);
        } catch (err) {
          if (err instanceof HttpError && err.statusCode === 401) throw (await app.countFailedAuthentication(request)) ?? err;
          throw err;
        }
        if (!roles.some((role) => hasRole(caller, role))) {
          throw forbidden(`This action needs the ${roles.map((r) => `"${r}"`).join(' or ')} role`);
        }
        request.caller = caller;
        bindCaller(request, caller.name);
      };
    });
  },
  // rate-limit counts failed authentications (countFailedAuthentication).
  { name: 'auth', dependencies: ['rate-limit'] },
);
