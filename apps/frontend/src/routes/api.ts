import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { TweetDocument } from '@kubeonazure/tweet-model';
import type { FastifyInstance } from 'fastify';
import { MAX_LIMIT, PAGE_SIZE, parseCursor } from '../paging.js';

export const TweetsQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: PAGE_SIZE }),
    before: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);

const Position = { start: Type.Integer(), end: Type.Integer() };

export const Tweet = Type.Object({
  id: Type.String(),
  text: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  author_id: Type.String(),
  username: Type.Union([Type.String(), Type.Null()]),
  name: Type.Union([Type.String(), Type.Null()]),
  avatar_url: Type.Union([Type.String(), Type.Null()]),
  lang: Type.Union([Type.String(), Type.Null()]),
  metrics: Type.Record(Type.String(), Type.Number()),
  hashtags: Type.Array(Type.Object({ tag: Type.String(), ...Position })),
  mentions: Type.Array(Type.Object({ username: Type.String(), ...Position })),
  urls: Type.Array(Type.Object({ url: Type.String(), expanded_url: Type.String(), display_url: Type.String(), ...Position })),
  rule_tags: Type.Array(Type.String()),
  referenced_type: Type.Union([Type.Literal('retweeted'), Type.Literal('quoted'), Type.Literal('replied_to'), Type.Null()]),
});

export const TweetsPage = Type.Object({
  tweets: Type.Array(Tweet),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const ApiError = Type.Object({ statusCode: Type.Integer(), error: Type.String(), message: Type.String() });

export default async function api(app: FastifyInstance) {
  const fastify = app.withTypeProvider<TypeBoxTypeProvider>();

  fastify.get(
    '/api/tweets',
    {
      schema: { querystring: TweetsQuery, response: { 200: TweetsPage, '4xx': ApiError, '5xx': ApiError } },
      config: { rateLimit: {} },
    },
    async (request) => {
      const before = parseCursor(request.query.before, 'before');
      const { tweets, nextCursor } = await fastify.tweets.latest({ limit: request.query.limit, before });
      return { tweets: tweets.map(toJson), nextCursor };
    },
  );
}

/** The public shape: `id` instead of `_id`, ISO dates, no ingestion bookkeeping. */
function toJson({ _id, ingested_at: _ingestedAt, created_at, ...tweet }: TweetDocument) {
  return { id: _id, created_at: created_at.toISOString(), ...tweet };
}
