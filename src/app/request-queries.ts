import type { ListPage, StoredRequest } from '../store/requests';
import { AppError, notFound } from './errors';
import type { ListFilter, RequestReader } from './ports';

/**
 * A cursor the port never wrote: edited, truncated, or from another API. The API answers it as it answers a query that
 * fails its schema (400 `validation_failed`, the field named); the dashboard, which reports every problem of its filter
 * form at once, asks `isCursor` first and says it in its own words.
 */
const invalidCursor = (): AppError =>
  new AppError('invalid', 'validation_failed', 'cursor is not valid', [{ field: 'querystring.cursor', message: 'not a cursor from this API' }]);

/**
 * Reading requests, for the API (`GET /v1/resets`, `GET /v1/resets/{id}`) and the dashboard's request pages alike: a
 * request with its timeline and workflow data, and pages of requests, newest first. The cursor that carries a list
 * from one page to the next is the port's, and opaque here: a use case only asks whether it is one.
 */
export function createRequestQueries(deps: { readonly requests: RequestReader }) {
  return {
    /** A request with its timeline and workflow data; `not_found` when there is none with that id. */
    async get(id: string): Promise<StoredRequest> {
      const found = await deps.requests.get(id);
      if (found === undefined) throw notFound(`No request with id ${id}`);
      return found;
    },

    /** Whether `cursor` is a page's `nextCursor`, for an edge that reports it with other problems. */
    isCursor(cursor: string): boolean {
      return deps.requests.isCursor(cursor);
    },

    /** Up to `limit` requests that match `filter`, newest first, after `cursor` when given; `invalid` for a cursor that is not one. */
    async list(filter: ListFilter, limit: number, cursor?: string): Promise<ListPage> {
      if (cursor !== undefined && !deps.requests.isCursor(cursor)) throw invalidCursor();
      return deps.requests.list(filter, limit, cursor);
    },
  };
}

export type RequestQueries = ReturnType<typeof createRequestQueries>;
