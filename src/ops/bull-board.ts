import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import type { Queues } from '../queue/queues';
import { sameOrigin } from './guard';
import { sessionHasRole } from './session';

export const BOARD_PATH = '/admin/queues';

/**
 * bull-board at /admin/queues, behind the dashboard's sign-in (bull-board has no auth of its own): an `operate`
 * session may look (GET only), an `admin` session may also act (retry, remove, pause a queue ...). Its mutating calls
 * are JSON fetches from its own page, so besides the SameSite cookie they must carry this host's Origin.
 */
export async function bullBoardScope(app: FastifyInstance, opts: { queues: Queues }): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // bull-board's markup carries style attributes and a <style> block; its Google Fonts link is not allowed.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        upgradeInsecureRequests: null,
      },
    },
    // Its mutating fetches must carry the real Origin (no-referrer would make Chromium send `Origin: null`).
    referrerPolicy: { policy: 'same-origin' },
  });

  app.addHook('preValidation', async (request, reply) => {
    const session = request.opsSession;
    const api = request.url.startsWith(`${BOARD_PATH}/api/`);
    if (session === null) {
      if (api) return reply.code(401).send({ error: { code: 'unauthorized', message: 'Sign in at /ops/login first' } });
      return reply.redirect(`/ops/login?next=${encodeURIComponent(`${BOARD_PATH}/`)}`, 303);
    }
    if (!sessionHasRole(session, 'operate')) return reply.code(403).send({ error: { code: 'forbidden', message: 'The queues board needs the "operate" role' } });
    const reading = request.method === 'GET' || request.method === 'HEAD';
    if (!reading && !sessionHasRole(session, 'admin')) {
      return reply.code(403).send({ error: { code: 'forbidden', message: 'The queues board is read-only for the "operate" role; changing jobs needs "admin"' } });
    }
    if (!reading && !sameOrigin(request)) return reply.code(403).send({ error: { code: 'forbidden', message: 'Cross-site request refused' } });
    return undefined;
  });

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(BOARD_PATH);
  createBullBoard({
    queues: [new BullMQAdapter(opts.queues.reset), new BullMQAdapter(opts.queues.notify)],
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Passcode resets' } },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: BOARD_PATH });
}
