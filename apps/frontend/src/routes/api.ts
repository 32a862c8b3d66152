import { publicTweetSchema, toPublicTweet } from '@kubeonazure/tweet-model';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_LIMIT, PAGE_SIZE, parseCursor } from '../paging.js';

export const TweetsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(PAGE_SIZE).describe('tweets per page'),
  before: z.string().max(200).optional().describe('nextCursor of the previous page'),
});

export const TweetsPage = z.object({
  tweets: z.array(publicTweetSchema).describe('newest first'),
  nextCursor: z.string().nullable().describe('where the next, older page starts; null on the last page'),
});

export const ApiError = z.object({ statusCode: z.int().min(400).max(599), error: z.string(), message: z.string() });

const api: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get(
    '/api/tweets',
    {
      schema: {
        summary: 'The newest tweets, a page at a time',
        querystring: TweetsQuery,
        response: { 200: TweetsPage, '4xx': ApiError, '5xx': ApiError },
      },
      config: { rateLimit: {} },
    },
    async (request) => {
      const before = parseCursor(request.query.before, 'before');
      // The first page is the poller's (no query of its own); an older one a query, cached briefly.
      const { tweets, nextCursor } = before
        ? await fastify.tweets.latest({ limit: request.query.limit, before })
        : await fastify.feed.firstPage(request.query.limit);
      return { tweets: tweets.map(toPublicTweet), nextCursor };
    },
  );

  // Built once, on first request, from every route's schema (plugins/external/swagger.ts).
  fastify.get('/api/openapi.json', { schema: { hide: true } }, async () => fastify.swagger());
};

export default api;
