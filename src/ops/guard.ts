import type { FastifyReply, FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import type { Role } from '../config/schema';
import { csrfMatches, sessionHasRole, type OpsSession } from './session';
import { errorPage } from './views/layout';

declare module 'fastify' {
  interface FastifyRequest {
    /** The dashboard session of the request, if its cookie names a live one. */
    opsSession: OpsSession | null;
  }
}

/** The session of a request that passed `requireSession`. */
export function sessionOf(request: FastifyRequest): OpsSession {
  if (request.opsSession === null) throw new Error('no dashboard session: the route must use requireSession');
  return request.opsSession;
}

/** The page to return to after signing in: only a path on the dashboard or the queues board. */
export function safeNext(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 500) return undefined;
  return /^\/(ops|admin\/queues)(\/[A-Za-z0-9/._~%?=&+-]*)?$/.test(value) && !value.startsWith('//') ? value : undefined;
}

export function sendPage(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
}

/** The request comes from our own pages: its Origin (when the browser sends one) names this host. */
export function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    // Both through URL, so a default port (":80" in the Host header) compares equal to none.
    return new URL(origin).host === new URL(`${request.protocol}://${request.host}`).host;
  } catch {
    return false;
  }
}

/**
 * Pages and actions need a session with one of `roles` (`admin` holds them all). Without a session a page redirects
 * to sign-in; an action answers 401. With `csrf`, the form's `_csrf` field (or the x-csrf-token header) must match the
 * session's token, and a browser's Origin header must be this host.
 */
export function requireSession(roles: readonly Role[], options: { csrf?: boolean } = {}): preValidationAsyncHookHandler {
  return async (request, reply) => {
    const session = request.opsSession;
    if (session === null) {
      if (request.method === 'GET' || request.method === 'HEAD') {
        const next = safeNext(request.url);
        return reply.redirect(`/ops/login${next === undefined || next === '/ops' ? '' : `?next=${encodeURIComponent(next)}`}`, 303);
      }
      return sendPage(reply, 401, errorPage(undefined, 401, 'Sign in first', 'Your session has ended or you have not signed in. Sign in and try again.'));
      return;
    }
    if (options.csrf === true) {
      const body = request.body as Record<string, unknown> | null | undefined;
      const presented = body?._csrf ?? request.headers['x-csrf-token'];
      if (!sameOrigin(request) || !csrfMatches(session, presented)) {
        request.log.warn({ caller: session.name, url: request.url.split('?')[0] }, 'ops action refused: CSRF check failed');
        return sendPage(reply, 403, errorPage(session, 403, 'Action refused', 'The form was too old or did not come from this dashboard. Reload the page and try again.'));
      }
    }
    if (!roles.some((role) => sessionHasRole(session, role))) {
      return sendPage(reply, 403, errorPage(session, 403, 'Not allowed', `This needs the ${roles.map((r) => `"${r}"`).join(' or ')} role; you are signed in as ${session.name} (${session.roles.join(', ')}).`));
    }
    return undefined;
  };
}
