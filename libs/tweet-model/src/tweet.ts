import { z } from 'zod';

export const DEFAULT_DATABASE = 'kubeonazure';
export const DEFAULT_COLLECTION = 'tweets';

// X post and user ids exceed 2^53, so they stay decimal strings end to end.
const idString = z.string().regex(/^[0-9]{1,20}$/, 'must be a decimal digit string');
const count = z.number().int().nonnegative();
const offset = z.number().int().nonnegative();
const validDate = z.date().refine((d) => !Number.isNaN(d.getTime()), 'must be a valid date');

export const tweetDocumentSchema = z.object({
  _id: idString,
  text: z.string(),
  created_at: validDate,
  author_id: idString,
  username: z.string().nullable(),
  name: z.string().nullable(),
  avatar_url: z.string().nullable(),
  lang: z.string().nullable(),
  metrics: z.object({
    retweet_count: count,
    reply_count: count,
    like_count: count,
    quote_count: count,
    bookmark_count: count,
    impression_count: count,
  }),
  hashtags: z.array(z.object({ tag: z.string(), start: offset, end: offset })),
  mentions: z.array(z.object({ username: z.string(), start: offset, end: offset })),
  urls: z.array(
    z.object({ url: z.string(), expanded_url: z.string(), display_url: z.string(), start: offset, end: offset }),
  ),
  rule_tags: z.array(z.string()),
  referenced_type: z.enum(['retweeted', 'quoted', 'replied_to']).nullable(),
  ingested_at: validDate,
});

export type TweetDocument = z.infer<typeof tweetDocumentSchema>;

/**
 * A stored tweet as the public API serves it, derived from the stored shape: `id` instead of `_id`,
 * an ISO date, no ingestion bookkeeping.
 */
export const publicTweetSchema = tweetDocumentSchema
  .omit({ _id: true, created_at: true, ingested_at: true })
  .extend({ id: idString, created_at: z.iso.datetime() });

export type PublicTweet = z.infer<typeof publicTweetSchema>;

export function toPublicTweet({ _id, ingested_at: _ingestedAt, created_at, ...tweet }: TweetDocument): PublicTweet {
  return { id: _id, created_at: created_at.toISOString(), ...tweet };
}

/** A document that does not fit the schema; `field` is the dotted path of the first offending field. */
export class TweetValidationError extends Error {
  override name = 'TweetValidationError';
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`invalid tweet: field "${field}": ${reason}`);
  }
}

export function validateTweet(doc: unknown): TweetDocument {
  const result = tweetDocumentSchema.safeParse(doc);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(document)';
  throw new TweetValidationError(field, issue?.message ?? 'invalid');
}
