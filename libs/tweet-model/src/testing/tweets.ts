import type { TweetDocument } from '../tweet.js';

// The tweet fixtures every project's tests use, exported as `@kubeonazure/tweet-model/testing`.

const NO_METRICS: TweetDocument['metrics'] = {
  retweet_count: 0,
  reply_count: 0,
  like_count: 0,
  quote_count: 0,
  bookmark_count: 0,
  impression_count: 0,
};

/** One fixed valid stored document; tests override what they are about. */
export function tweet(overrides: Partial<TweetDocument> = {}): TweetDocument {
  return {
    _id: '1861234567890123456',
    text: 'Running #kubernetes in three regions',
    created_at: new Date('2026-11-23T22:10:05.123Z'),
    author_id: '2244994945',
    username: 'XDevelopers',
    name: 'Developers',
    avatar_url: 'https://pbs.twimg.com/profile_images/1/a.jpg',
    lang: 'en',
    metrics: { ...NO_METRICS },
    hashtags: [{ tag: 'kubernetes', start: 8, end: 19 }],
    mentions: [],
    urls: [],
    rule_tags: ['docker'],
    referenced_type: null,
    ingested_at: new Date('2026-11-24T01:00:00.000Z'),
    ...overrides,
  };
}

let sequence = 0;

/** A valid tweet; ids grow with time so the order is the same by `created_at` and by `_id`. */
export function makeTweet(overrides: Partial<TweetDocument> = {}): TweetDocument {
  sequence += 1;
  const createdAt = overrides.created_at ?? new Date(Date.now() - 60_000 + sequence);
  return {
    _id: String(1_861_000_000_000_000_000n + BigInt(createdAt.getTime()) * 1000n + BigInt(sequence % 1000)),
    text: `Tweet number ${sequence} about Kubernetes`,
    created_at: createdAt,
    author_id: String(1000 + sequence),
    username: `user${sequence}`,
    name: `User ${sequence}`,
    avatar_url: null,
    lang: 'en',
    metrics: { ...NO_METRICS },
    hashtags: [],
    mentions: [],
    urls: [],
    rule_tags: ['kubernetes'],
    referenced_type: null,
    ingested_at: new Date(),
    ...overrides,
  };
}

/** `count` tweets, one second apart, the last one `newestAgoMs` old; returned newest first. */
export function makeTweets(count: number, newestAgoMs = 5000): TweetDocument[] {
  const newest = Date.now() - newestAgoMs;
  return Array.from({ length: count }, (_, i) =>
    makeTweet({ created_at: new Date(newest - (count - 1 - i) * 1000) }),
  ).reverse();
}
