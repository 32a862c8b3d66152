import type { FastifyInstance } from 'fastify';

export default async function metrics(fastify: FastifyInstance) {
  fastify.get('/metrics', async (_request, reply) => {
    reply.type(fastify.metrics.registry.contentType);
    return fastify.metrics.registry.metrics();
  });
}
