import { publicTweetSchema, toPublicTweet } from '@kubeonazure/tweet-model';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { jsonSchema } from '../json-schema.js';
import { MAX_LIMIT, PAGE_SIZE, parseCursor } from '../paging.js';

export const TweetsQuery = z.strictObject({
  limit: z.int().min(1).max(MAX_LIMIT).default(PAGE_SIZE),
  before: z.string().max(200).optional().describe('nextCursor of the previous page'),
});

export const TweetsPage = z.object({
  tweets: z.array(publicTweetSchema),
  nextCursor: z.string().nullable(),
});

export const ApiError = z.object({ statusCode: z.int(), error: z.string(), message: z.string() });

export default async function api(fastify: FastifyInstance) {
  fastify.get<{ Querystring: z.output<typeof TweetsQuery> }>(
    '/api/tweets',
    {
      schema: {
        querystring: jsonSchema(TweetsQuery, 'input'),
        response: { 200: jsonSchema(TweetsPage), '4xx': jsonSchema(ApiError), '5xx': jsonSchema(ApiError) },
      },
      config: { rateLimit: {} },
    },
    async (request) => {
      const before = parseCursor(request.query.before, 'before');
      const { tweets, nextCursor } = await fastify.tweets.latest({ limit: request.query.limit, before });
      return { tweets: tweets.map(toPublicTweet), nextCursor };
    },
  );
}
