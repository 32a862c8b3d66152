import accepts from '@fastify/accepts';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** Content negotiation on the request (`request.encoding([...])`): `/` picks its gzipped copy with it. */
export default fp(
  async (fastify: FastifyInstance) => {
    await fastify.register(accepts);
  },
  { name: 'accepts' },
);
