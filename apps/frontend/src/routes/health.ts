import type { FastifyInstance } from 'fastify';
import { DatabaseUnavailableError } from '../plugins/app/tweets.js';

/**
 * `/healthz`: Traffic Manager and the readiness probe. 200 only when a read of the local replica
 * succeeds right now (within the read timeout); anything else is 503 with the reason.
 * `/livez`: the liveness probe; the process answers, nothing more (a database outage must not
 * get every pod restarted).
 */
export default async function health(fastify: FastifyInstance) {
  const region = fastify.region.name;

  fastify.get('/healthz', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    try {
      const newest = await fastify.tweets.newest();
      return {
        status: 'ok',
        region,
        newestTweetAt: newest ? newest.created_at.toISOString() : null,
        newestTweetAgeSeconds: newest ? Math.max(0, Math.round((Date.now() - newest.created_at.getTime()) / 1000)) : null,
      };
    } catch (error) {
      if (!(error instanceof DatabaseUnavailableError)) throw error;
      request.log.warn({ reason: error.message }, 'healthz: database unavailable');
      return reply.code(503).send({ status: 'unavailable', region, reason: error.message });
    }
  });

  fastify.get('/livez', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'ok' };
  });
}
