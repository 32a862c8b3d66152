import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

type Transform = typeof jsonSchemaTransform;

/** The OpenAPI document describes the JSON API only: pages, the event stream and the probes are not part of it. */
const apiRoutesOnly: Transform = (route) =>
  route.url.startsWith('/api/') ? jsonSchemaTransform(route) : { schema: { hide: true }, url: route.url };

/**
 * The OpenAPI document of `/api/*` (served by routes/api.ts), generated from the routes' zod
 * schemas: the same ones that validate requests and serialize responses.
 */
export default fp(
  async (fastify: FastifyInstance) => {
    await fastify.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'kubeonazure tweet wall',
          description: 'The newest tweets, read from the serving region’s replica.',
          version: '1',
        },
      },
      transform: apiRoutesOnly,
    });
  },
  { name: 'swagger', dependencies: ['zod'] },
);
