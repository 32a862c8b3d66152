import type { FastifyInstance } from 'fastify';

/**
 * `/healthz`, on the public port: Traffic Manager's probe. 200 while the region can serve (see
 * Feed.health): `ok` while the poller's reads of the local replica succeed, `throttled` while they are
 * throttled but the cached page is young enough; anything else is 503 with the reason (the poller
 * logs the failure once, under `err`). No query of its own. The kubelet probes `/readyz` (the same check) and
 * `/livez` on the ops port (app.ts, buildOpsApp).
 */
export default async function health(fastify: FastifyInstance) {
  const region = fastify.region.name;

  fastify.get('/healthz', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    const health = await fastify.feed.health();
    if (!health.ok) return reply.code(503).send({ status: 'unavailable', region, reason: health.reason });
    const { newest } = health;
    return {
      status: health.throttled ? 'throttled' : 'ok',
      region,
      newestTweetAt: newest ? newest.created_at.toISOString() : null,
      newestTweetAgeSeconds: newest ? Math.max(0, Math.round((Date.now() - newest.created_at.getTime()) / 1000)) : null,
    };
  });
}
