import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { PAGE_CSP, PAGE_HELMET } from '../../http/page-security';
import { productVersion } from '../../version';

/**
 * The dashboard's headers, and one exception to its CSP: the only inline style Swagger UI renders, the <style> element
 * of its top bar's SVG logo (swagger-ui-standalone-preset.js), allowed by its hash. test/abuse/docs-browser.test.ts
 * fails if an upgrade renders another.
 */
const SWAGGER_LOGO_STYLE = "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='";
const DOCS_HELMET = { ...PAGE_HELMET, contentSecurityPolicy: { directives: { ...PAGE_CSP, styleSrc: [...PAGE_CSP.styleSrc, SWAGGER_LOGO_STYLE] } } };

export interface OpenApiOptions {
  /** `info.version`; by default the product's, from package.json (src/version.ts). */
  readonly version?: string | undefined;
}

/** The OpenAPI 3 document, generated from the route schemas: GET /openapi.json, with docs at GET /docs. */
export const openApiPlugin = fp(
  async (app: FastifyInstance, opts: OpenApiOptions) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'Intune passcode reset: intake API',
          description: 'Reset requests from the API, ServiceNow and Jira. Errors have the shape { error: { code, message, details? } }.',
          version: opts.version ?? productVersion(),
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
    // The docs page is HTML like the dashboard's, and gets its headers: the CSP (Swagger UI loads only its own scripts
    // and styles from /docs/static), no framing, nosniff. In a scope of its own, so the JSON API is left as it is.
    await app.register(async (docs) => {
      await docs.register(helmet, DOCS_HELMET);
      await docs.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });
    });
    app.get('/openapi.json', { schema: { hide: true }, config: { rateLimit: false } }, () => app.swagger());
  },
  { name: 'openapi' },
);
