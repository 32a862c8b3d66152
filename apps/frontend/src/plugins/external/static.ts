import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { PUBLIC_DIR } from '../../paths.js';

/** CSS, the live-update script and icons, from public/, cached for an hour and revalidated by ETag. */
export default fp(
  async (fastify: FastifyInstance) => {
    await fastify.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/static/', maxAge: '1h', etag: true });
  },
  { name: 'static' },
);
