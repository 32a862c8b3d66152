import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { publicHostLocation } from '../../redirect.js';

/**
 * Visitors who use any name but the custom domain (the Traffic Manager name, which no certificate can
 * be valid for, a region's name, an address) go to the custom domain; `/healthz` answers whatever the name.
 */
export default fp(
  async (fastify: FastifyInstance, options: { publicHost: string | null }) => {
    const { publicHost } = options;
    if (publicHost === null) return;
    fastify.addHook('onRequest', (request, reply, done) => {
      const location = publicHostLocation(request.headers.host, request.url, publicHost);
      if (location === null) done();
      else reply.redirect(location, 308);
    });
  },
  { name: 'public-host' },
);
