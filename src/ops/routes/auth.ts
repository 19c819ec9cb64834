import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { hasRole } from '../../auth/tokens';
import { requireSession, safeNext, sameOrigin, sendPage } from '../guard';
import type { OpsServices } from '../services';
import { SESSION_COOKIE } from '../session';
import { loginPage } from '../views/layout';

/** Sign-in with an API token (checked once, never stored) and sign-out. */
export function authRoutes(services: OpsServices) {
  return (fastify: FastifyInstance): void => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    const cookie = { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: services.cookieSecure };

    app.get('/ops/login', { schema: { hide: true, querystring: z.object({ next: z.string().max(500).optional() }) } }, (request, reply) => {
      if (request.opsSession !== null) return reply.redirect(safeNext(request.query.next) ?? '/ops', 303);
      return sendPage(reply, 200, loginPage(undefined, safeNext(request.query.next)));
    });

    app.post(
      '/ops/login',
      { schema: { hide: true, body: z.object({ token: z.string().max(600).optional(), next: z.string().max(500).optional() }).loose() } },
      async (request, reply) => {
        const next = safeNext(request.body.next);
        if (!sameOrigin(request)) return sendPage(reply, 403, loginPage('This sign-in form did not come from this site.', next));
        const token = (request.body.token ?? '').trim();
        const caller = token.length >= 16 ? services.tokens.authenticate(token) : undefined;
        if (caller === undefined) {
          request.log.info('ops sign-in refused: unknown token');
          return sendPage(reply, 401, loginPage('That token is not valid. Check that it was copied whole.', next));
        }
        if (!(['operate', 'approve'] as const).some((r) => hasRole(caller, r))) {
          request.log.info({ caller: caller.name }, 'ops sign-in refused: role');
          return sendPage(reply, 403, loginPage(`The token "${caller.name}" has no dashboard role: it needs operate, approve or admin.`, next));
        }
        const { sid } = await services.sessions.create(caller);
        request.log.info({ caller: caller.name }, 'ops sign-in');
        return reply.setCookie(SESSION_COOKIE, sid, { ...cookie, maxAge: services.sessions.ttlSeconds }).redirect(next ?? '/ops', 303);
      },
    );

    app.post('/ops/logout', { preValidation: requireSession(['operate', 'approve'], { csrf: true }), schema: { hide: true } }, async (request, reply) => {
      await services.sessions.destroy(request.cookies[SESSION_COOKIE]);
      request.log.info('ops sign-out');
      return reply.clearCookie(SESSION_COOKIE, cookie).redirect('/ops/login', 303);
    });
  };
}
