import type { FastifyInstance } from 'fastify';

/**
 * `/healthz`: Traffic Manager and the readiness probe. 200 only while the poller's reads of the
 * local replica succeed (see Feed.health); anything else is 503 with the reason. No query of its own.
 * `/livez`: the liveness probe; the process answers, nothing more (a database outage must not
 * get every pod restarted).
 */
export default async function health(fastify: FastifyInstance) {
  const region = fastify.region.name;

  fastify.get('/healthz', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const health = await fastify.feed.health();
    if (!health.ok) {
      request.log.warn({ reason: health.reason }, 'healthz: database unavailable');
      return reply.code(503).send({ status: 'unavailable', region, reason: health.reason });
    }
    const { newest } = health;
    return {
      status: 'ok',
      region,
      newestTweetAt: newest ? newest.created_at.toISOString() : null,
      newestTweetAgeSeconds: newest ? Math.max(0, Math.round((Date.now() - newest.created_at.getTime()) / 1000)) : null,
    };
  });

  fastify.get('/livez', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'ok' };
  });
}
