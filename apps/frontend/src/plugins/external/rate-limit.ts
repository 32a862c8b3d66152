import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Per-address limits, opt-in per route (`config.rateLimit`): the API and the event stream use
 * them; `/` is served from memory and the probes must never be limited.
 */
export default fp(
  async (fastify: FastifyInstance, options: { perMinute: number }) => {
    await fastify.register(rateLimit, { global: false, max: options.perMinute, timeWindow: '1 minute' });
  },
  { name: 'rate-limit' },
);
