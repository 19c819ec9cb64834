import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

/** The OpenAPI 3 document, generated from the route schemas: GET /openapi.json, with docs at GET /docs. */
export const openApiPlugin = fp(
  async (app: FastifyInstance, opts: { version: string }) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'Intune passcode reset: intake API',
          description: 'Reset requests from the API, ServiceNow and Jira. Errors have the shape { error: { code, message, details? } }.',
          version: opts.version,
        },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API token from API_TOKENS' } } },
        tags: [
          { name: 'resets', description: 'Reset requests' },
          { name: 'actions', description: 'Approve, retry and cancel requests' },
          { name: 'tenants', description: 'Pause, resume and limit submissions per tenant' },
          { name: 'webhooks', description: 'Signed deliveries from ticketing systems' },
          { name: 'health', description: 'Liveness and readiness' },
        ],
      },
      transform: jsonSchemaTransform,
    });
    await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });
    app.get('/openapi.json', { schema: { hide: true }, config: { rateLimit: false } }, () => app.swagger());
  },
  { name: 'openapi' },
);
