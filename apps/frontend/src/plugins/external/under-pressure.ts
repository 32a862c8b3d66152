import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** Sheds load with 503 + Retry-After when the event loop stalls, instead of queueing until everything times out. */
export default fp(
  async (fastify: FastifyInstance) => {
    await fastify.register(underPressure, {
      maxEventLoopDelay: 1000,
      retryAfter: 10,
    });
  },
  { name: 'under-pressure' },
);
