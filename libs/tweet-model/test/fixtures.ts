import type { TweetDocument } from '../src/index.js';

/** A valid stored document; tests override what they are about. */
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
    metrics: { retweet_count: 0, reply_count: 0, like_count: 0, quote_count: 0, bookmark_count: 0, impression_count: 0 },
    hashtags: [{ tag: 'kubernetes', start: 8, end: 19 }],
    mentions: [],
    urls: [],
    rule_tags: ['docker'],
    referenced_type: null,
    ingested_at: new Date('2026-11-24T01:00:00.000Z'),
    ...overrides,
  };
}
