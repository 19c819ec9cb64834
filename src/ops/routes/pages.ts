import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../app/errors';
import type { ListFilter } from '../../app/ports';
import { REQUEST_STATES, type RequestState } from '../../domain/request';
import { requestIdSchema } from '../../http/schemas';
import { requireSession, sendPage, sessionOf } from '../guard';
import type { SafeHtml } from '../html';
import type { OpsServices } from '../services';
import { SESSION_COOKIE } from '../session';
import { errorPage, banner } from '../views/layout';
import { overviewPage } from '../views/overview';
import { requestPage } from '../views/request';
import { requestsPage, type ListQuery } from '../views/requests';

const PAGE_SIZE = 50;

/** What each successful action says on the page it returns to (by the `done` query value). */
const DONE: Readonly<Record<string, string>> = {
  approve: 'Approved. The worker picks the request up now.',
  cancel: 'Cancelled. The device is free for a new request.',
  retry: 'Retried: a new attempt starts from the device check.',
  'notification-retry': 'The notification is queued again.',
  pause: 'Submissions paused for the tenant. Approved requests wait; nothing fails.',
  resume: 'Submissions resumed. Held requests go on now.',
  'blast-radius': 'Blast-radius limit set. Held requests go on if the new limit allows.',
  tenant: 'Tenant added to the overview.',
};

const flashOf = (done: string | undefined): SafeHtml | undefined => {
  const text = done === undefined ? undefined : DONE[done];
  return text === undefined ? undefined : banner('ok', text);
};

const text = z.string().max(254).optional();
const listQuery = z.object({ state: text, ticket: text, device: text, requester: text, from: text, to: text, cursor: z.string().max(200).optional() });

/** A datetime-local value (no zone) read as UTC, or an ISO time; undefined when empty, NaN when invalid. */
function timeFilter(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v}Z`);
}

/** A request that is not there is a page that says so: the query's `not_found`, read as nothing found. */
function absentAsUndefined(err: unknown): undefined {
  if (err instanceof AppError && err.kind === 'not_found') return undefined;
  throw err;
}

export function pageRoutes(services: OpsServices) {
  return (fastify: FastifyInstance): void => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();
    const viewer = requireSession(['operate', 'approve']);

    app.get('/ops', { preValidation: viewer, schema: { hide: true, querystring: z.object({ done: z.string().max(40).optional() }) } }, async (request, reply) => {
      const data = await services.overview();
      return sendPage(reply, 200, overviewPage(sessionOf(request), data, flashOf(request.query.done)));
    });
    app.get('/ops/', { schema: { hide: true } }, (_request, reply) => reply.redirect('/ops', 301));

    app.get('/ops/requests', { preValidation: viewer, schema: { hide: true, querystring: listQuery } }, async (request, reply) => {
      const q = request.query;
      const clean = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());
      const view: ListQuery = Object.fromEntries(Object.entries(q).map(([k, v]) => [k, clean(v)]).filter(([, v]) => v !== undefined)) as ListQuery;
      const problems: string[] = [];
      const state = clean(q.state);
      if (state !== undefined && !(REQUEST_STATES as readonly string[]).includes(state)) problems.push(`"${state}" is not a state`);
      const from = timeFilter(q.from);
      const to = timeFilter(q.to);
      if (from !== undefined && Number.isNaN(from)) problems.push('"Created from" is not a date and time');
      if (to !== undefined && Number.isNaN(to)) problems.push('"Created to" is not a date and time');
      if (view.cursor !== undefined && !services.requests.isCursor(view.cursor)) problems.push('the page link is not valid; start from the first page');
      if (problems.length > 0) return sendPage(reply, 400, requestsPage(sessionOf(request), view, [], null, new Map(), `${problems.join('; ')}.`));
      const filter: ListFilter = {
        ...(state === undefined ? {} : { state: state as RequestState }),
        ...(view.ticket === undefined ? {} : { ticket: view.ticket }),
        ...(view.device === undefined ? {} : { device: view.device }),
        ...(view.requester === undefined ? {} : { requester: view.requester }),
        ...(from === undefined ? {} : { createdFrom: from }),
        ...(to === undefined ? {} : { createdTo: to }),
      };
      const pageOf = await services.requests.list(filter, PAGE_SIZE, view.cursor);
      const outcomes = await services.outcomes(pageOf.items);
      return sendPage(reply, 200, requestsPage(sessionOf(request), view, pageOf.items, pageOf.nextCursor, outcomes));
    });

    app.get(
      '/ops/requests/:id',
      {
        preValidation: viewer,
        schema: { hide: true, params: z.object({ id: z.string().max(64) }), querystring: z.object({ done: z.string().max(40).optional(), refused: z.string().max(40).optional() }) },
      },
      async (request, reply) => {
        const session = sessionOf(request);
        // Any case, as the API takes it; an address that is no request id at all is a page that says so, not a 400.
        const parsed = requestIdSchema.safeParse(request.params.id);
        const id = parsed.success ? parsed.data : request.params.id;
        const stored = parsed.success ? await services.requests.get(id).catch(absentAsUndefined) : undefined;
        if (stored === undefined) return sendPage(reply, 404, errorPage(session, 404, 'No such request', `There is no request with id ${id}.`));
        const [notifications, refusal] = await Promise.all([services.notifications.forRequest(id), services.sessions.refusal(request.cookies[SESSION_COOKIE], request.query.refused)]);
        const data = { stored, notifications, adminCenterDeviceUrl: services.adminCenterDeviceUrl, approval: services.approval };
        return sendPage(reply, 200, requestPage(session, data, refusal === undefined ? flashOf(request.query.done) : undefined, refusal));
      },
    );

    // Any other address under /ops: a page that says so (the API's JSON 404 is for API clients).
    app.get('/ops/*', { schema: { hide: true } }, (request, reply) =>
      sendPage(reply, 404, errorPage(request.opsSession ?? undefined, 404, 'No such page', `There is no dashboard page at ${request.url.split('?')[0] ?? ''}.`)),
    );
  };
}
