import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { FAVICON_PATH, FAVICON_SVG } from '../assets';
import type { OpsServices } from '../services';

/**
 * The dashboard's static files (no session needed): the stylesheet and script under /ops/static/ (their names carry
 * a content hash, so they are cached for a year), and the icon at /favicon.svg. /favicon.ico answers the same icon,
 * for browsers and tools that ask for it without reading the page's <link rel="icon">.
 */
export function staticRoutes(services: Pick<OpsServices, 'assets'>) {
  return (fastify: FastifyInstance): void => {
    const app = fastify.withTypeProvider<ZodTypeProvider>();

    app.get('/ops/static/:file', { schema: { hide: true, params: z.object({ file: z.string().max(64) }) } }, (request, reply) => {
      const asset = services.assets.get(request.params.file);
      if (asset === undefined) return reply.code(404).type('text/plain; charset=utf-8').send('Not found');
      return reply.type(asset.type).header('cache-control', 'public, max-age=31536000, immutable').send(asset.body);
    });

    for (const url of [FAVICON_PATH, '/favicon.ico']) {
      app.get(url, { schema: { hide: true } }, (_request, reply) => reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(FAVICON_SVG));
    }
  };
}
