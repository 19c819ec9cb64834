import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError } from '../../app/errors';
import { appErrorResponse } from '../../http/app-errors';
import { StoreOutcomeUnknownError, StoreUnavailableError, StoredDataError, storedDataLogFields } from '../../store/errors';
import { HttpError, outcomeUnknown, storedDataInvalid, unavailable, type ErrorBody } from '../../http/errors';

interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/** Fastify's own client errors, mapped to stable codes. */
const FASTIFY_CODES: Readonly<Record<string, { status: number; code: string; message: string }>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json', message: 'The body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_json', message: 'The body is empty; a JSON object is required' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', message: 'The body is larger than the limit' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', message: 'Content-Type must be application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'bad_request', message: 'Content-Length does not match the body' },
  FST_ERR_CTP_INVALID_TYPE: { status: 415, code: 'unsupported_media_type', message: 'Content-Type must be application/json' },
};

function validationProblems(error: FastifyError): FieldProblem[] {
  const part = error.validationContext ?? 'body';
  return (error.validation ?? []).map((v) => {
    const path = v.instancePath.replace(/^\//, '').replaceAll('/', '.');
    const keys = v.keyword === 'unrecognized_keys' ? (v.params as { keys?: string[] } | undefined)?.keys : undefined;
    if (keys !== undefined && keys.length > 0) {
      const base = path === '' ? part : `${part}.${path}`;
      return { field: keys.map((k) => `${base}.${k}`).join(', '), message: 'unknown field' };
    }
    return { field: path === '' ? part : `${part}.${path}`, message: v.message ?? 'invalid' };
  });
}

interface Mapped {
  readonly status: number;
  readonly body: ErrorBody;
  readonly headers: Readonly<Record<string, string>>;
}

const INTERNAL: Mapped = { status: 500, body: { error: { code: 'internal', message: 'An internal error occurred; it has been logged' } }, headers: {} };

function toResponse(error: unknown): Mapped {
  if (error instanceof StoredDataError) return toResponse(storedDataInvalid(error));
  if (error instanceof StoreUnavailableError) {
    const e = error instanceof StoreOutcomeUnknownError ? outcomeUnknown() : unavailable();
    return { status: e.statusCode, body: { error: { code: e.code, message: e.message } }, headers: e.headers };
  }
  if (error instanceof AppError) return appErrorResponse(error);
  if (error instanceof HttpError) {
    const details = error.details === undefined ? {} : { details: error.details };
    return { status: error.statusCode, body: { error: { code: error.code, message: error.message, ...details } }, headers: error.headers };
  }
  if (!(error instanceof Error)) return INTERNAL;
  const fastifyError = error as FastifyError;
  if (hasZodFastifySchemaValidationErrors(error) || fastifyError.validation !== undefined) {
    return { status: 400, body: { error: { code: 'validation_failed', message: 'The request does not match the schema', details: validationProblems(fastifyError) } }, headers: {} };
  }
  const known = FASTIFY_CODES[fastifyError.code];
  if (known !== undefined) return { status: known.status, body: { error: { code: known.code, message: known.message } }, headers: {} };
  const status = fastifyError.statusCode;
  if (status === 429) return { status, body: { error: { code: 'rate_limited', message: error.message } }, headers: {} };
  if (typeof status === 'number' && status >= 400 && status < 500) return { status, body: { error: { code: 'bad_request', message: error.message } }, headers: {} };
  return INTERNAL;
}

/**
 * One error handler for the whole app: the documented JSON shape, the right status, and never an internal
 * detail on a 5xx. Client errors are logged at info; server errors at error with the cause.
 */
export const errorsPlugin = fp(
  (app: FastifyInstance) => {
    app.setErrorHandler((error: unknown, request, reply) => {
      const { status, body, headers } = toResponse(error);
      if (error instanceof StoredDataError) request.log.error(storedDataLogFields(error), 'stored data this version cannot read');
      else if (error instanceof StoreUnavailableError) request.log.warn({ err: error.cause }, 'request store unavailable');
      else if (status >= 500 && (error instanceof HttpError || error instanceof AppError)) request.log.warn({ status, code: body.error.code }, 'request not served');
      else if (status >= 500) request.log.error({ err: error }, 'unhandled error');
      else request.log.info({ status, code: body.error.code }, 'request refused');
      return reply.code(status).headers(headers).type('application/json; charset=utf-8').send(body);
    });

    app.setNotFoundHandler((request, reply) => {
      return reply.code(404).send({ error: { code: 'not_found', message: `No route for ${request.method} ${(request.url.split('?')[0] ?? '').slice(0, 200)}` } });
    });
  },
  { name: 'errors' },
);
