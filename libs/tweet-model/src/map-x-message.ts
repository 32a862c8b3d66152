import { z } from 'zod';
import { TweetValidationError, validateTweet, type TweetDocument } from './tweet.js';

// The parts of the X API v2 wire format we read. Objects are loose: X adds fields over time and
// unknown ones must not make a post unreadable.
const span = { start: z.number(), end: z.number() };
const xEntities = z.looseObject({
  hashtags: z.array(z.looseObject({ ...span, tag: z.string() })).optional(),
  mentions: z.array(z.looseObject({ ...span, username: z.string() })).optional(),
  urls: z
    .array(
      z.looseObject({
        ...span,
        url: z.string(),
        expanded_url: z.string().optional(),
        display_url: z.string().optional(),
      }),
    )
    .optional(),
});
const xPost = z.looseObject({
  id: z.string(),
  text: z.string(),
  created_at: z.iso.datetime({ offset: true }),
  author_id: z.string(),
  lang: z.string().optional(),
  public_metrics: z.record(z.string(), z.number()).optional(),
  entities: xEntities.optional(),
  note_tweet: z.looseObject({ text: z.string(), entities: xEntities.optional() }).optional(),
  referenced_tweets: z.array(z.looseObject({ type: z.string(), id: z.string() })).optional(),
});
const xUser = z.looseObject({
  id: z.string(),
  username: z.string().optional(),
  name: z.string().optional(),
  profile_image_url: z.string().optional(),
});
const xIncludes = z.looseObject({ users: z.array(xUser).optional() }).optional();
const xProblem = z.looseObject({
  title: z.string().optional(),
  detail: z.string().optional(),
  type: z.string().optional(),
});
const xStreamMessage = z.looseObject({
  data: xPost.optional(),
  includes: xIncludes,
  matching_rules: z
    .array(z.looseObject({ id: z.union([z.string(), z.number()]), tag: z.string().optional() }))
    .optional(),
  errors: z.array(xProblem).optional(),
});
// Posts and users are checked one by one (mapXSearchPage), so one that does not fit costs only itself.
const xSearchPage = z.looseObject({
  data: z.array(z.unknown()).optional(),
  includes: z.looseObject({ users: z.array(z.unknown()).optional() }).optional(),
});

type XPost = z.infer<typeof xPost>;
type XUser = z.infer<typeof xUser>;

export interface XApiProblem {
  title?: string;
  detail?: string;
  type?: string;
  [k: string]: unknown;
}

export type MappedMessage =
  | { kind: 'tweet'; tweet: TweetDocument; errors: XApiProblem[] }
  | { kind: 'control'; errors: XApiProblem[] };

/**
 * Maps one filtered-stream message. `errors` without `data` is a stream control message (e.g. an
 * operational disconnect notice); `data` with `errors` is still a post whose expansions partly failed.
 */
export function mapXMessage(message: unknown, ingestedAt: Date = new Date()): MappedMessage {
  const parsed = parseWire(xStreamMessage, message);
  const errors = parsed.errors ?? [];
  if (!parsed.data) {
    if (errors.length > 0) return { kind: 'control', errors };
    throw new TweetValidationError('data', 'message has neither data nor errors');
  }
  const ruleTags = (parsed.matching_rules ?? []).map((rule) => rule.tag ?? String(rule.id));
  const tweet = toDocument(parsed.data, usersById(parsed.includes?.users), ruleTags, ingestedAt);
  return { kind: 'tweet', tweet, errors };
}

/** A post of a search page that could not be mapped, with why. */
export interface RejectedPost {
  post: unknown;
  error: TweetValidationError;
}

/**
 * Maps a `GET /2/tweets/search/recent` page: one document per post (search has no matching rules).
 * Each post is mapped on its own: one that does not fit is returned in `rejected` and the others are
 * kept, so a caller paging with since_id loses nothing but that post. Only a page whose shape is wrong
 * as a whole throws.
 */
export function mapXSearchPage(
  page: unknown,
  ingestedAt: Date = new Date(),
): { tweets: TweetDocument[]; rejected: RejectedPost[] } {
  const parsed = parseWire(xSearchPage, page);
  const users = usersById(
    (parsed.includes?.users ?? []).flatMap((user) => {
      const result = xUser.safeParse(user);
      return result.success ? [result.data] : [];
    }),
  );
  const tweets: TweetDocument[] = [];
  const rejected: RejectedPost[] = [];
  for (const post of parsed.data ?? []) {
    try {
      tweets.push(toDocument(parseWire(xPost, post), users, [], ingestedAt));
    } catch (error) {
      if (!(error instanceof TweetValidationError)) throw error;
      rejected.push({ post, error });
    }
  }
  return { tweets, rejected };
}

function parseWire<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new TweetValidationError(issue?.path.join('.') || '(message)', issue?.message ?? 'invalid');
}

function usersById(users: XUser[] | undefined): Map<string, XUser> {
  return new Map((users ?? []).map((user) => [user.id, user]));
}

function toDocument(post: XPost, users: Map<string, XUser>, ruleTags: string[], ingestedAt: Date): TweetDocument {
  const author = users.get(post.author_id);
  // A long post's full text and the entity offsets that belong to it live in note_tweet.
  const entities = post.note_tweet ? (post.note_tweet.entities ?? post.entities) : post.entities;
  const metric = (key: string) => post.public_metrics?.[key] ?? 0;
  return validateTweet({
    _id: post.id,
    text: post.note_tweet?.text ?? post.text,
    created_at: new Date(post.created_at),
    author_id: post.author_id,
    username: author?.username ?? null,
    name: author?.name ?? null,
    avatar_url: author?.profile_image_url ? fullSizeAvatar(author.profile_image_url) : null,
    lang: post.lang ?? null,
    metrics: {
      retweet_count: metric('retweet_count'),
      reply_count: metric('reply_count'),
      like_count: metric('like_count'),
      quote_count: metric('quote_count'),
      bookmark_count: metric('bookmark_count'),
      impression_count: metric('impression_count'),
    },
    hashtags: (entities?.hashtags ?? []).map(({ tag, start, end }) => ({ tag, start, end })),
    mentions: (entities?.mentions ?? []).map(({ username, start, end }) => ({ username, start, end })),
    urls: (entities?.urls ?? []).map(({ url, expanded_url, display_url, start, end }) => ({
      url,
      expanded_url: expanded_url ?? url,
      display_url: display_url ?? url,
      start,
      end,
    })),
    rule_tags: ruleTags,
    referenced_type: referencedType(post.referenced_tweets),
    ingested_at: ingestedAt,
  });
}

/** X serves 48px avatars as `<name>_normal.<ext>`; the same path without the suffix is the original size. */
function fullSizeAvatar(url: string): string {
  return url.replace(/_normal(\.[A-Za-z0-9]+)?$/, '$1');
}

// A post can reference several others (a reply that quotes); the strongest relation names it.
const referencePriority = ['retweeted', 'quoted', 'replied_to'] as const;

function referencedType(refs: XPost['referenced_tweets']): TweetDocument['referenced_type'] {
  const types = new Set((refs ?? []).map((ref) => ref.type));
  return referencePriority.find((type) => types.has(type)) ?? null;
}
