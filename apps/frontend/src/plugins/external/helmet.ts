import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';
import { AVATAR_ORIGIN } from '../../cards.js';

const options: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", AVATAR_ORIGIN],
      fontSrc: ["'self'"],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
  // Avatars are plain cross-origin images; don't send them our URLs.
  referrerPolicy: { policy: 'no-referrer' },
  // Headers for browsers long gone (IE8 downloads, Flash, the XSS auditor, DNS prefetch hints).
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
  xDnsPrefetchControl: false,
};

/**
 * The headers helmet sets. They do not depend on the request (no nonces, no per-route
 * policies), so helmet runs once, against a recorder, instead of on every request:
 * @fastify/helmet builds and runs helmet per request, which cost `/` half its throughput.
 */
export function securityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string | number) => {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error;
  });
  return headers;
}

/** Security headers on every answer. Scripts, styles, fonts and connections: this origin only; images also X's avatar CDN. */
export default fp(
  async (fastify: FastifyInstance) => {
    const headers = securityHeaders();
    fastify.addHook('onRequest', (_request, reply, done) => {
      reply.headers(headers);
      done();
    });
  },
  { name: 'helmet' },
);
