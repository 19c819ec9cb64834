import type { FastifyHelmetOptions } from '@fastify/helmet';

/**
 * The security headers of every HTML page the intake serves (the /ops dashboard, the API docs at /docs): a CSP that
 * allows this origin only (no inline script or style, no plugins, no framing), plus helmet's defaults (nosniff,
 * X-Frame-Options, HSTS, …).
 */
export const PAGE_CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  upgradeInsecureRequests: null,
};

/**
 * Referrer-Policy same-origin, not helmet's no-referrer: with no-referrer, Chromium sends `Origin: null` on form
 * posts, and the Origin check of the dashboard's sign-in and actions needs the real one. Nothing leaks to other sites
 * either way.
 */
export const PAGE_HELMET: FastifyHelmetOptions = { contentSecurityPolicy: { directives: PAGE_CSP }, referrerPolicy: { policy: 'same-origin' } };
