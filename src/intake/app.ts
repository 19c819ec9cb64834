import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/schema';
import type { TicketingAccountsSection, TicketScopeSection } from '../config/sections';
import { TokenRegistry } from '../auth/tokens';
import { bufferedStdout, loggerOptions } from '../logging/logger';
import type { NotifyChannel, Queues } from '../queue/queues';
import { IdempotencyStore } from '../store/idempotency';
import { ReplayStore } from '../store/replay';
import { RequestStore } from '../store/requests';
import { createRequestAcceptance } from '../store/acceptance';
import { OneLinePerRequest } from './access-log';
import { authPlugin } from './plugins/auth';
import { errorsPlugin } from './plugins/errors';
import { openApiPlugin } from './plugins/openapi';
import { rateLimitPlugin } from './plugins/rate-limit';
import { answerClientError, serverTimeouts, type ServerTimeouts } from './server-options';
import { WorkflowStore } from '../store/workflow-store';
import { TenantControlStore } from '../store/tenant-controls';
import { actionRoutes } from './routes/actions';
import { tenantRoutes } from './routes/tenants';
import { healthRoutes } from './routes/health';
import { createRequestActions } from '../app/request-actions';
import { createRequestQueries } from '../app/request-queries';
import { createTenantControls } from '../app/tenant-controls';
import { createApiSubmissions } from '../app/api-submissions';
import { createNotificationActions } from '../app/notifications';
import { createJobScheduler } from '../queue/scheduler';
import { createTenantDirectory } from '../metrics/tenants';
import { createTenantActionLog } from '../store/tenant-actions';
import { GUID } from '../domain/identifiers';
import { ticketingSettingsFromConfig } from '../ticketing/clients';
import { resetRoutes } from './routes/resets';
import { notificationRoutes } from './routes/notifications';
import { createNotificationDeliveries } from '../notify/deliveries';
import { webhookRoutes } from './routes/webhooks';
import { createSubmissionService } from '../app/submissions';
import { createWebhookDeliveries } from '../app/webhook-deliveries';
import { registerOperations, type OperationsSettings } from '../ops';
import { ticketScopeOf, type TicketReader } from '../ticketing/ticket-facts';

/**
 * What the intake app reads: its HTTP limits and timeouts, the rate limit, the webhooks' secrets and scope, the
 * ticketing accounts (to tell which systems are configured), the notifications it queues on acceptance, and what the
 * dashboard reads (OperationsSettings).
 */
export type IntakeSettings = Pick<
  Config,
  | 'LOG_LEVEL'
  | 'BODY_LIMIT_BYTES'
  | 'WEBHOOK_BODY_LIMIT_BYTES'
  | 'TRUST_PROXY'
  | 'REDIS_PREFIX'
  | 'AUDIT_RETENTION_DAYS'
  | 'NOTIFY_TICKET_EVENTS'
  | 'NOTIFY_EMAIL_EVENTS'
  | 'RATE_LIMIT_MAX'
  | 'RATE_LIMIT_WINDOW_MS'
  | 'IDEMPOTENCY_TTL_SECONDS'
  | 'ADMIN_CENTER_DEVICE_URL'
  | 'BLAST_RADIUS_PER_HOUR'
  | 'APPROVAL_ALLOWED_APPROVERS'
  | 'AZURE_TENANT_ID'
  | 'JIRA_WEBHOOK_SECRET'
  | 'JIRA_WEBHOOK_TOLERANCE_SECONDS'
  | 'JIRA_WEBHOOK_DEDUPE_TTL_SECONDS'
  | 'SERVICENOW_WEBHOOK_SECRET'
  | 'SERVICENOW_WEBHOOK_TOLERANCE_SECONDS'
  | 'SERVICENOW_TABLES'
> &
  ServerTimeouts &
  TicketingAccountsSection &
  TicketScopeSection &
  OperationsSettings;

export interface IntakeDeps {
  readonly config: IntakeSettings;
  /** A producer connection (fail fast): see src/redis/connection.ts. */
  readonly redis: Redis;
  readonly queues: Queues;
  readonly tokens: TokenRegistry;
  /** pino destination for tests; stdout by default. */
  readonly logStream?: NodeJS.WritableStream;
  readonly now?: () => Date;
  readonly version?: string;
  /** Reads the tickets that API callers cite (src/ticketing/ticket-facts.ts); without it, no ticket may be cited. */
  readonly tickets?: TicketReader;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

/** Builds the intake app. `server.ts`-style roots only listen and shut down; tests mount this with `inject`. */
export async function buildIntakeApp(deps: IntakeDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    // One access line per request: written to stdout in blocks, not a write per line (bufferedStdout).
    logger: { ...loggerOptions(config.LOG_LEVEL, 'intake'), stream: deps.logStream ?? bufferedStdout() },
    bodyLimit: config.BODY_LIMIT_BYTES,
    // One log line per request, not Fastify's two.
    logController: new OneLinePerRequest(),
    // Slow clients time out, and what Node's HTTP parser refuses is answered in the documented shape: server-options.ts.
    ...serverTimeouts(config),
    clientErrorHandler: answerClientError,
    trustProxy: config.TRUST_PROXY,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false, allErrors: true } },
    return503OnClosing: true,
    // A URL the router cannot decode is answered before any hook runs: answer it in the documented shape, with the
    // request id, and without echoing the URL back.
    frameworkErrors: (error, request, rawReply) => {
      const reply = rawReply as FastifyReply;
      void reply
        .code(400)
        .header('x-request-id', request.id)
        .send({ error: { code: 'bad_url', message: 'The URL could not be decoded; check its percent-encoding' } });
      request.log.info({ code: error.code }, 'a URL that could not be decoded was refused');
    },
  });
  // JSON only: Fastify's built-in text/plain parser would turn a wrong content type into a 400 instead of a 415.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // What a use case did, for the request's one access line (access-log.ts).
  app.decorateRequest('outcome', null);
  app.addHook('onSend', (request, reply, payload, done) => {
    void reply.header('x-request-id', request.id);
    done(null, payload);
  });

  const log = app.log;
  const store = new RequestStore(deps.redis, config.REDIS_PREFIX, config.AUDIT_RETENTION_DAYS);
  const acceptedChannels: NotifyChannel[] = [
    ...(config.NOTIFY_TICKET_EVENTS.includes('accepted') ? (['ticket'] as const) : []),
    ...(config.NOTIFY_EMAIL_EVENTS.includes('accepted') ? (['email'] as const) : []),
  ];
  const jobs = createJobScheduler(deps.queues);
  const ticketing = ticketingSettingsFromConfig(config);
  const submissions = createSubmissionService({
    store,
    jobs,
    acceptance: createRequestAcceptance({ redis: deps.redis, store, queue: deps.queues.reset }),
    log,
    acceptedChannels,
    // A webhook's ticket is refused (422) unless its system can be read (the ticket reader has an account for it, or
    // without a reader, its REST API is configured): its approval could not be read, nor its answer written.
    ticketSystems: { has: (system) => (deps.tickets === undefined ? ticketing[system] !== undefined : deps.tickets.connected(system)) },
    ...(deps.now === undefined ? {} : { now: deps.now }),
    ...(deps.tickets === undefined ? {} : { tickets: deps.tickets }),
  });

  await app.register(errorsPlugin);
  await app.register(rateLimitPlugin, { redis: deps.redis, max: config.RATE_LIMIT_MAX, windowMs: config.RATE_LIMIT_WINDOW_MS, keyOf: store.keys.rateLimit });
  await app.register(authPlugin, { tokens: deps.tokens });
  await app.register(openApiPlugin, { version: deps.version });

  await app.register(healthRoutes({ ping: () => deps.redis.ping() }));
  const apiSubmissions = createApiSubmissions({ submissions, store, idempotency: new IdempotencyStore(deps.redis, store.keys, config.IDEMPOTENCY_TTL_SECONDS) });
  const requests = createRequestQueries({ requests: store });
  await app.register(resetRoutes({ submissions: apiSubmissions, requests, adminCenterDeviceUrl: config.ADMIN_CENTER_DEVICE_URL }));
  const workflow = new WorkflowStore(deps.redis, store);
  const control = new TenantControlStore(deps.redis, config.REDIS_PREFIX, config.BLAST_RADIUS_PER_HOUR);
  const deliveries = createNotificationDeliveries({ redis: deps.redis, prefix: config.REDIS_PREFIX, queues: deps.queues, workflow });
  const actions = createRequestActions({ store: workflow, requests: store, jobs, allowedApprovers: config.APPROVAL_ALLOWED_APPROVERS });
  const tenants = createTenantDirectory(deps.redis, config.REDIS_PREFIX, config.AZURE_TENANT_ID !== undefined && GUID.test(config.AZURE_TENANT_ID) ? [config.AZURE_TENANT_ID] : []);
  const tenantActions = createTenantActionLog(deps.redis, config.REDIS_PREFIX);
  const tenantControls = createTenantControls({ control, tenants, actions: tenantActions, requests: store, jobs });
  await app.register(actionRoutes({ actions }));
  const notifications = createNotificationActions({ ledger: deliveries, requests: store });
  await app.register(notificationRoutes({ notifications }));
  await app.register(tenantRoutes({ tenants: tenantControls }));
  // The operations dashboard (/ops), bull-board (/admin/queues) and GET /metrics: src/ops, docs/operations.md.
  await registerOperations(app, {
    config,
    redis: deps.redis,
    queues: deps.queues,
    tokens: deps.tokens,
    store,
    requests,
    actions,
    tenantControls,
    control,
    tenants,
    tenantActions,
    notifications,
  });
  const webhookDeliveries = createWebhookDeliveries({
    submissions,
    replays: new ReplayStore(deps.redis, store.keys),
    ...(deps.now === undefined ? {} : { now: () => (deps.now ?? (() => new Date()))().getTime() }),
    settings: {
      // The same mapping as a cited ticket is read with: one scope for every way a ticket comes in.
      jira: { toleranceSeconds: config.JIRA_WEBHOOK_TOLERANCE_SECONDS, dedupeTtlSeconds: config.JIRA_WEBHOOK_DEDUPE_TTL_SECONDS, mapping: ticketScopeOf(config).jira },
      servicenow: { toleranceSeconds: config.SERVICENOW_WEBHOOK_TOLERANCE_SECONDS, tables: config.SERVICENOW_TABLES },
    },
  });
  await app.register(
    webhookRoutes({
      deliveries: webhookDeliveries,
      bodyLimit: config.WEBHOOK_BODY_LIMIT_BYTES,
      secrets: {
        ...(config.JIRA_WEBHOOK_SECRET === undefined ? {} : { jira: config.JIRA_WEBHOOK_SECRET }),
        ...(config.SERVICENOW_WEBHOOK_SECRET === undefined ? {} : { servicenow: config.SERVICENOW_WEBHOOK_SECRET }),
      },
    }),
  );
  return app;
}
