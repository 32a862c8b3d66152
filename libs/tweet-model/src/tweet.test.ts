import { describe, expect, it } from 'vitest';
import { TweetValidationError, validateTweet, type TweetDocument } from './tweet.js';

const valid: TweetDocument = {
  _id: '1861234567890123456',
  text: 'hello',
  created_at: new Date('2026-11-23T22:10:05.123Z'),
  author_id: '2244994945',
  username: 'XDevelopers',
  name: null,
  avatar_url: null,
  lang: null,
  metrics: { retweet_count: 0, reply_count: 0, like_count: 0, quote_count: 0, bookmark_count: 0, impression_count: 0 },
  hashtags: [],
  mentions: [],
  urls: [],
  rule_tags: [],
  referenced_type: null,
  ingested_at: new Date('2026-11-24T01:00:00.000Z'),
};

function fieldOf(doc: unknown): string {
  try {
    validateTweet(doc);
  } catch (error) {
    if (error instanceof TweetValidationError) return error.field;
    throw error;
  }
  throw new Error('expected a TweetValidationError');
}

describe('validateTweet', () => {
  it('accepts a valid document unchanged', () => {
    expect(validateTweet(valid)).toEqual(valid);
  });

  it('rejects an id that is not a decimal digit string, naming the field', () => {
    expect(fieldOf({ ...valid, _id: Number('1861234567890123456') })).toBe('_id');
    expect(fieldOf({ ...valid, _id: '-5' })).toBe('_id');
    expect(fieldOf({ ...valid, _id: '' })).toBe('_id');
    expect(fieldOf({ ...valid, author_id: '12 3' })).toBe('author_id');
  });

  it('rejects a missing or invalid created_at, naming the field', () => {
    expect(fieldOf({ ...valid, created_at: new Date('nonsense') })).toBe('created_at');
    expect(fieldOf({ ...valid, created_at: '2026-11-23T22:10:05.123Z' })).toBe('created_at');
    const { created_at: _, ...withoutCreatedAt } = valid;
    expect(fieldOf(withoutCreatedAt)).toBe('created_at');
  });

  it('names nested fields by their path', () => {
    expect(fieldOf({ ...valid, metrics: { ...valid.metrics, like_count: -1 } })).toBe('metrics.like_count');
    expect(fieldOf({ ...valid, hashtags: [{ tag: 'a', start: 0, end: 1.5 }] })).toBe('hashtags.0.end');
    expect(fieldOf({ ...valid, referenced_type: 'liked' })).toBe('referenced_type');
  });

  it('says which field in the message', () => {
    expect(() => validateTweet({ ...valid, created_at: null })).toThrow(/^invalid tweet: field "created_at": /);
    expect(fieldOf(null)).toBe('(document)');
  });
});
