import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AVATAR_ORIGIN } from '../../cards.js';

/** Security headers. Scripts, styles, fonts and connections: this origin only; images also X's avatar CDN. */
export default fp(
  async (fastify: FastifyInstance) => {
    await fastify.register(helmet, {
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
    });
  },
  { name: 'helmet' },
);
