import { basename, dirname } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { PUBLIC_DIR, RELATIVE_TIME_MODULE } from '../../paths.js';

/**
 * CSS, the live-update script and icons, from public/, cached for an hour and revalidated by ETag;
 * and the relative-time formatter the server renders with, which live.js imports, so the page ticks
 * with the same copy.
 */
export default fp(
  async (fastify: FastifyInstance) => {
    await fastify.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/static/', maxAge: '1h', etag: true });
    fastify.get('/static/relative-time.js', (_request, reply) =>
      reply.sendFile(basename(RELATIVE_TIME_MODULE), dirname(RELATIVE_TIME_MODULE)),
    );
  },
  { name: 'static' },
);
