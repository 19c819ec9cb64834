import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { TokenRegistry } from '../auth/tokens';
import type { Config } from '../config/schema';
import { GraphBudget } from '../graph/budget';
import { PAGE_HELMET } from '../http/page-security';
import type { RequestActions } from '../app/request-actions';
import type { RequestQueries } from '../app/request-queries';
import type { TenantControls } from '../app/tenant-controls';
import { createAuditAggregator } from '../metrics/aggregator';
import { metricsRoutes } from '../metrics/route';
import { createMetricsRenderer } from '../metrics/prometheus';
import { createSnapshotReader } from '../metrics/snapshot';
import type { TenantDirectory } from '../metrics/tenants';
import type { Queues } from '../queue/queues';
import type { RequestReader } from '../app/ports';
import { StoreUnavailableError, StoredDataError, storedDataLogFields } from '../store/errors';
import { storedDataInvalid } from '../http/errors';
import type { TenantControlStore } from '../store/tenant-controls';
import { bullBoardScope } from './bull-board';
import { sendPage } from './guard';
import type { NotificationActions } from '../app/notifications';
import { createNotificationReader } from './notifications';
import { actionRoutes } from './routes/actions';
import { authRoutes } from './routes/auth';
import { pageRoutes } from './routes/pages';
import { staticRoutes } from './routes/static';
import { outcomeReader, overviewLoader, staticAssets, type OpsServices } from './services';
import { SESSION_COOKIE, SessionStore } from './session';
import type { TenantActionLog } from '../store/tenant-actions';
import { errorPage } from './views/layout';
import { runPeriodically } from '../process/periodic';

/** The settings the operations surface reads: its own section of the configuration, not the whole of it. */
export type OperationsSettings = Pick<
  Config,
  | 'REDIS_PREFIX'
  | 'GRAPH_WINDOW_MS'
  | 'GRAPH_WRITE_BUDGET'
  | 'GRAPH_READ_BUDGET'
  | 'OPS_SESSION_TTL_SECONDS'
  | 'OPS_COOKIE_SECURE'
  | 'ADMIN_CENTER_DEVICE_URL'
  | 'APPROVAL_REQUIRED'
  | 'APPROVAL_ALLOWED_APPROVERS'
  | 'METRICS_PUBLIC'
>;

export interface OperationsDeps {
  readonly config: OperationsSettings;
  readonly redis: Redis;
  readonly queues: Queues;
  readonly tokens: TokenRegistry;
  /** The stored requests, read for the list's Reason column. */
  readonly store: RequestReader;
  /** A request and pages of requests (src/app/request-queries.ts), shared with the API's routes. */
  readonly requests: RequestQueries;
  readonly actions: RequestActions;
  readonly tenantControls: TenantControls;
  readonly control: TenantControlStore;
  /** The tenants reported on, and the log of tenant actions: shared with the API's tenant controls. */
  readonly tenants: TenantDirectory;
  readonly tenantActions: TenantActionLog;
  /** A request's notifications and their retry (src/app/notifications.ts), shared with the API's routes. */
  readonly notifications: NotificationActions;
}

/** How often this process folds new audit entries into the metrics (any number of intake processes may do it). */
const AGGREGATE_EVERY_MS = 2000;

/**
 * The operations surface of the intake: the /ops dashboard, bull-board at /admin/queues (both behind the dashboard
 * sign-in) and GET /metrics. Registered from src/intake/app.ts; see docs/operations.md and ADR 009.
 */
export async function registerOperations(app: FastifyInstance, deps: OperationsDeps): Promise<void> {
  const { config, redis } = deps;
  const prefix = config.REDIS_PREFIX;
  const { tenants, tenantActions } = deps;
  const budget = new GraphBudget(redis, prefix, { windowMs: config.GRAPH_WINDOW_MS, writes: config.GRAPH_WRITE_BUDGET, reads: config.GRAPH_READ_BUDGET });
  const snapshot = createSnapshotReader({ redis, prefix, queues: deps.queues, control: deps.control, budget, tenants });
  const notifications = createNotificationReader(deps.queues, deps.notifications);
  const services: OpsServices = {
    requests: deps.requests,
    actions: deps.actions,
    tenantControls: deps.tenantControls,
    notifications,
    tenants,
    tenantActions,
    snapshot,
    sessions: new SessionStore(redis, prefix, config.OPS_SESSION_TTL_SECONDS),
    tokens: deps.tokens,
    adminCenterDeviceUrl: config.ADMIN_CENTER_DEVICE_URL,
    cookieSecure: config.OPS_COOKIE_SECURE,
    approval: { required: config.APPROVAL_REQUIRED, allowedApprovers: config.APPROVAL_ALLOWED_APPROVERS },
    assets: staticAssets(),
    overview: overviewLoader({ snapshot, notifications, tenantActions }),
    outcomes: outcomeReader(deps.store),
  };

  // The audit stream → metrics and the overview's charts, in the background. A failure (Redis down) is retried next tick.
  const aggregator = createAuditAggregator(redis, prefix);
  const aggregating = runPeriodically(AGGREGATE_EVERY_MS, () => aggregator.advance(), (err) => {
    app.log.debug({ err }, 'metrics aggregation failed; retrying');
  });
  app.addHook('onClose', () => aggregating.stop());

  await app.register(metricsRoutes({ renderer: createMetricsRenderer({ redis, prefix, snapshot }), public: config.METRICS_PUBLIC }));

  await app.register(async (scope) => {
    await scope.register(cookie);
    scope.decorateRequest('opsSession', null);
    scope.addHook('onRequest', async (request) => {
      const stored = await services.sessions.get(request.cookies[SESSION_COOKIE]);
      if (stored === undefined) return;
      // A session is only as good as its token: removed from API_TOKENS, it signs nobody in; its roles are today's.
      const current = deps.tokens.byName(stored.name);
      if (current === undefined) return;
      const session = { ...stored, roles: [...current.roles] };
      request.opsSession = session;
      // The session's caller keys the rate limiter, as a bearer token's would.
      request.caller = { name: session.name, roles: new Set(session.roles) };
    });

    // Errors in this scope (the session lookup, the pages, the actions) are pages, not JSON. bull-board's API answers
    // its own errors inside its handlers.
    scope.setErrorHandler((error: unknown, request, reply) => {
      if (error instanceof StoredDataError) {
        // As the API says it (src/http/errors.ts): the kind of record, never its content; the key and version in the log.
        request.log.error(storedDataLogFields(error), 'ops page: stored data this version cannot read');
        const { message } = storedDataInvalid(error);
        const page = errorPage(request.opsSession ?? undefined, 500, 'Stored data this version cannot read', `${message} See docs/operations.md, "Stored data this version cannot read".`);
        return sendPage(reply, 500, page);
      }
      const down = error instanceof StoreUnavailableError;
      const status = (error as { statusCode?: unknown }).statusCode;
      const code = down ? 503 : typeof status === 'number' && status >= 400 && status < 500 ? status : 500;
      if (down) request.log.warn({ err: error.cause }, 'ops page: Redis unavailable');
      else if (code >= 500) request.log.error({ err: error }, 'ops page failed');
      else request.log.info({ status: code }, 'ops request refused');
      const message =
        code === 400
          ? 'The form or address was not valid. Go back, check the fields and try again.'
          : down
            ? 'Redis, where every request and session is kept, is not answering. Nothing was changed. This page works again once Redis is back: see docs/operations.md, "Redis down".'
            : code >= 500
              ? 'Something failed on our side; it has been logged.'
              : 'The request could not be served.';
      if (down) void reply.header('retry-after', '5');
      return sendPage(reply, code, errorPage(request.opsSession ?? undefined, code, down ? 'Redis is unavailable' : code >= 500 ? 'The dashboard hit an error' : 'That did not work', message));
    });

    await scope.register(async (pages) => {
      // The pages' CSP and headers, shared with the API docs (/docs): src/http/page-security.ts.
      await pages.register(helmet, PAGE_HELMET);
      await pages.register(formbody);
      await pages.register(authRoutes(services));
      await pages.register(pageRoutes(services));
      await pages.register(staticRoutes(services));
      await pages.register(actionRoutes(services));
    });

    await scope.register(bullBoardScope, { queues: deps.queues });
  });
}
