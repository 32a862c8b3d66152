import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';

/**
 * Zod is the one schema language (the stored tweet's lives in libs/tweet-model): route schemas are
 * zod schemas, which validate requests (a failure is a 400, see plugins/app/errors.ts) and check and
 * serialize responses; routes read typed input through `withTypeProvider<ZodTypeProvider>()`.
 */
export default fp(
  async (fastify: FastifyInstance) => {
    fastify.setValidatorCompiler(validatorCompiler);
    fastify.setSerializerCompiler(serializerCompiler);
  },
  { name: 'zod' },
);
