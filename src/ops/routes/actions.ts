import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { GUID } from '../../domain/identifiers';
import { NOTIFY_EVENTS } from '../../queue/catalog';
import { AppError } from '../../app/errors';
import { statusOf } from '../../http/app-errors';
import { HttpError } from '../../http/errors';
import { reasonSchema, requestIdParams } from '../../http/schemas';
import { requireSession, sendPage, sessionOf } from '../guard';
import { query } from '../html';
import type { OpsServices } from '../services';
import { SESSION_COOKIE } from '../session';
import { errorPage } from '../views/layout';

const requestParams = requestIdParams;
const tenantParams = z.object({ tenantId: z.string().regex(GUID) });
const form = <T extends z.ZodRawShape>(shape: T) => z.object({ _csrf: z.string().max(200).optional(), ...shape });
/** A notification's address in a form: the same fields as the API's (src/app/notifications.ts). */
const notificationAddress = {
  event: z.enum(NOTIFY_EVENTS),
  channel: z.enum(['ticket', 'email']),
  ticketSystem: z.enum(['servicenow', 'jira']).optional(),
  ticketKey: z.string().max(64).optional(),
  attempt: z.coerce.number().int().min(2).max(1000).optional(),
};
const optionalReason = z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), reasonSchema.optional());

/**
 * The dashboard's actions: HTML forms posting here, each gated by role and by the session's CSRF token, each reusing
 * the intake's own service (so the API and the dashboard behave the same) and recorded: request actions in the
 * request's timeline, tenant actions in the tenant action log. Success redirects back (303) with a `done` note; a
 * refusal redirects back too, and the page shows it inline.
 */
export function actionRoutes(services: OpsServices) {
  return (fastify: FastifyInstance): void => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    const guard = (...roles: ('approve' | 'operate' | 'admin')[]) => requireSession(roles, { csrf: true });

    /**
     * Runs a request action and returns to the request's page: with a `done` note, or with the service's refusal
     * (409 the request changed or is final, 403 self-approval, ...) shown inline there. The refusal's words are kept
     * for this session in Redis; the address carries only their random id. A request that does not exist has no
     * page to return to: that is a 404 page.
     */
    /** Whether the request exists: a refusal of one that does not is a 404 page, not a note on its page. */
    const exists = (id: string): Promise<boolean> =>
      services.requests.get(id).then(
        () => true,
        (err: unknown) => {
          if (err instanceof AppError && err.code === 'not_found') return false;
          throw err;
        },
      );

    async function tryAction(request: FastifyRequest, reply: FastifyReply, id: string, run: () => Promise<unknown>, done: string): Promise<FastifyReply> {
      const back = `/ops/requests/${id}`;
      try {
        await run();
      } catch (err) {
        const status = err instanceof AppError ? statusOf(err) : err instanceof HttpError ? err.statusCode : 500;
        if (!(err instanceof AppError || err instanceof HttpError) || status >= 500) throw err;
        const session = sessionOf(request);
        request.log.info({ caller: session.name, requestId: id, code: err.code }, 'ops action refused');
        const message = /[.!?]$/.test(err.message) ? err.message : `${err.message}.`;
        if (status === 404 && !(await exists(id))) {
          return sendPage(reply, 404, errorPage(session, 404, 'That action was not done', message));
        }
        const note = await services.sessions.keepRefusal(request.cookies[SESSION_COOKIE], message);
        return reply.redirect(`${back}${query({ refused: note })}`, 303);
      }
      return reply.redirect(`${back}?done=${done}`, 303);
    }

    app.post('/ops/requests/:id/approve', { preValidation: guard('approve'), schema: { hide: true, params: requestParams, body: form({}) } }, async (request, reply) => {
      const { id } = request.params;
      return tryAction(request, reply, id, () => services.actions.approve(id, sessionOf(request).name), 'approve');
    });

    app.post('/ops/requests/:id/cancel', { preValidation: guard('operate'), schema: { hide: true, params: requestParams, body: form({ reason: optionalReason }) } }, async (request, reply) => {
      const { id } = request.params;
      return tryAction(request, reply, id, () => services.actions.cancel(id, sessionOf(request).name, request.body.reason), 'cancel');
    });

    app.post('/ops/requests/:id/retry', { preValidation: guard('operate'), schema: { hide: true, params: requestParams, body: form({}) } }, async (request, reply) => {
      const { id } = request.params;
      return tryAction(request, reply, id, () => services.actions.retry(id, sessionOf(request).name, request.log), 'retry');
    });

    app.post(
      '/ops/requests/:id/notifications/retry',
      { preValidation: guard('operate'), schema: { hide: true, params: requestParams, body: form(notificationAddress) } },
      async (request, reply) => {
        const { id } = request.params;
        const { event, channel, ticketSystem, ticketKey, attempt } = request.body;
        const target = {
          requestId: id,
          event,
          channel,
          ...(ticketSystem === undefined || ticketKey === undefined ? {} : { ticket: { system: ticketSystem, key: ticketKey } }),
          ...(attempt === undefined ? {} : { requestAttempt: attempt }),
        };
        // Recorded in the request's timeline by the retry itself.
        return tryAction(request, reply, id, () => services.notifications.retry(target, sessionOf(request).name), 'notification-retry');
      },
    );

    app.post('/ops/tenants', { preValidation: guard('admin'), schema: { hide: true, body: form({ tenantId: z.string().regex(GUID) }) } }, async (request, reply) => {
      await services.tenantControls.add(request.body.tenantId, sessionOf(request).name);
      return reply.redirect('/ops?done=tenant', 303);
    });

    app.post('/ops/tenants/:tenantId/pause', { preValidation: guard('admin'), schema: { hide: true, params: tenantParams, body: form({ reason: optionalReason }) } }, async (request, reply) => {
      const { tenantId } = request.params;
      await services.tenantControls.pause(tenantId, sessionOf(request).name, request.body.reason);
      request.log.warn({ tenantId }, 'submissions paused');
      return reply.redirect('/ops?done=pause', 303);
    });

    app.post('/ops/tenants/:tenantId/resume', { preValidation: guard('admin'), schema: { hide: true, params: tenantParams, body: form({}) } }, async (request, reply) => {
      const { tenantId } = request.params;
      await services.tenantControls.resume(tenantId, sessionOf(request).name);
      request.log.warn({ tenantId }, 'submissions resumed');
      return reply.redirect('/ops?done=resume', 303);
    });

    app.post(
      '/ops/tenants/:tenantId/blast-radius',
      { preValidation: guard('admin'), schema: { hide: true, params: tenantParams, body: form({ limitPerHour: z.coerce.number().int().min(1).max(100_000) }) } },
      async (request, reply) => {
        const { tenantId } = request.params;
        const { limitPerHour } = request.body;
        await services.tenantControls.setLimit(tenantId, sessionOf(request).name, limitPerHour);
        request.log.warn({ tenantId, limitPerHour }, 'blast-radius limit set');
        return reply.redirect('/ops?done=blast-radius', 303);
      },
    );
  };
}
