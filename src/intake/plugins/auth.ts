import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { Role } from '../../config/schema';
import { hasRole, type Caller, type TokenRegistry } from '../../auth/tokens';
import { forbidden, unauthorized } from '../errors';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
  interface FastifyInstance {
    /** An onRequest hook that admits a bearer token holding any of `roles` (`admin` holds them all). */
    requireRole(...roles: Role[]): onRequestHookHandler;
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

/** The authenticated caller of a route guarded by `requireRole` (401 if, impossibly, there is none). */
export function callerOf(request: FastifyRequest): Caller {
  if (request.caller === null) throw unauthorized();
  return request.caller;
}

export const authPlugin = fp(
  (app: FastifyInstance, opts: { tokens: TokenRegistry }) => {
    app.decorateRequest('caller', null);
    app.decorate('requireRole', (...roles: Role[]): onRequestHookHandler => {
      return (request, _reply, done) => {
        try {
          const caller = authenticate(request, opts.tokens);
          if (!roles.some((role) => hasRole(caller, role))) {
            throw forbidden(`This action needs the ${roles.map((r) => `"${r}"`).join(' or ')} role`);
          }
          request.caller = caller;
          request.log = request.log.child({ caller: caller.name });
          done();
        } catch (err) {
          done(err as Error);
        }
      };
    });
  },
  { name: 'auth' },
);
