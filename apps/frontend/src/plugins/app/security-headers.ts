import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AVATAR_ORIGIN } from '../../cards.js';

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  `img-src 'self' ${AVATAR_ORIGIN}`,
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join(';');

/**
 * The headers helmet's modern defaults set, written out: they depend on nothing in the request (no
 * nonces, no per-route policies), so they are a constant. Helmet itself would only be run once to
 * produce this same record, and @fastify/helmet runs it on every request, which cost `/` half its
 * throughput. Left out on purpose: headers for browsers long gone (X-XSS-Protection,
 * X-Download-Options, X-DNS-Prefetch-Control, X-Permitted-Cross-Domain-Policies).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CSP,
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  // Avatars are plain cross-origin images; don't send them our URLs.
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'SAMEORIGIN',
};

/** Browsers ignore it over HTTP, and an HTTP answer could be anyone's: sent over HTTPS only. */
export const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * Security headers on every answer. Scripts, styles, fonts and connections: this origin only;
 * images also X's avatar CDN. `request.protocol` is the socket's own (no `trustProxy`: TLS
 * terminates in this process, and a forwarded header could be forged).
 */
export default fp(
  async (fastify: FastifyInstance) => {
    fastify.addHook('onRequest', (request, reply, done) => {
      reply.headers(SECURITY_HEADERS);
      if (request.protocol === 'https') reply.header('strict-transport-security', HSTS);
      done();
    });
  },
  { name: 'security-headers' },
);
