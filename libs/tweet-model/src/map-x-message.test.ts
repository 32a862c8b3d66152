import { describe, expect, it } from 'vitest';
import { mapXMessage, mapXSearchPage } from './map-x-message.js';
import { TweetValidationError, type TweetDocument } from './tweet.js';

const ingestedAt = new Date('2026-11-24T01:00:00.000Z');

const author = {
  id: '2244994945',
  username: 'XDevelopers',
  name: 'Developers',
  profile_image_url: 'https://pbs.twimg.com/profile_images/1683325380441128960/yRsRRjGO_normal.jpg',
};

function post(overrides: Record<string, unknown> = {}) {
  return {
    id: '1861234567890123456',
    text: 'Running #kubernetes in three regions with @Azure https://t.co/abc123',
    created_at: '2026-11-23T22:10:05.123Z',
    author_id: author.id,
    lang: 'en',
    public_metrics: {
      retweet_count: 3,
      reply_count: 1,
      like_count: 10,
      quote_count: 0,
      bookmark_count: 2,
      impression_count: 500,
    },
    entities: {
      hashtags: [{ start: 8, end: 19, tag: 'kubernetes' }],
      mentions: [{ start: 43, end: 49, username: 'Azure', id: '17000457' }],
      urls: [
        {
          start: 50,
          end: 73,
          url: 'https://t.co/abc123',
          expanded_url: 'https://example.com/article',
          display_url: 'example.com/article',
          status: 200,
        },
      ],
    },
    edit_history_tweet_ids: ['1861234567890123456'],
    ...overrides,
  };
}

function message(overrides: Record<string, unknown> = {}) {
  return {
    data: post(),
    includes: { users: [author] },
    matching_rules: [{ id: '1861000000000000001', tag: 'docker' }],
    ...overrides,
  };
}

function mapTweet(input: unknown): TweetDocument {
  const mapped = mapXMessage(input, ingestedAt);
  if (mapped.kind !== 'tweet') throw new Error(`expected a tweet, got ${mapped.kind}`);
  return mapped.tweet;
}

function validationError(run: () => unknown): TweetValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof TweetValidationError) return error;
    throw error;
  }
  throw new Error('expected a TweetValidationError');
}

describe('mapXMessage', () => {
  it('maps a complete stream message to the stored document', () => {
    expect(mapXMessage(message(), ingestedAt)).toEqual({
      kind: 'tweet',
      errors: [],
      tweet: {
        _id: '1861234567890123456',
        text: 'Running #kubernetes in three regions with @Azure https://t.co/abc123',
        created_at: new Date('2026-11-23T22:10:05.123Z'),
        author_id: '2244994945',
        username: 'XDevelopers',
        name: 'Developers',
        avatar_url: 'https://pbs.twimg.com/profile_images/1683325380441128960/yRsRRjGO.jpg',
        lang: 'en',
        metrics: {
          retweet_count: 3,
          reply_count: 1,
          like_count: 10,
          quote_count: 0,
          bookmark_count: 2,
          impression_count: 500,
        },
        hashtags: [{ tag: 'kubernetes', start: 8, end: 19 }],
        mentions: [{ username: 'Azure', start: 43, end: 49 }],
        urls: [
          {
            url: 'https://t.co/abc123',
            expanded_url: 'https://example.com/article',
            display_url: 'example.com/article',
            start: 50,
            end: 73,
          },
        ],
        rule_tags: ['docker'],
        referenced_type: null,
        ingested_at: ingestedAt,
      },
    });
  });

  it('keeps ids beyond 2^53 exact', () => {
    const tweet = mapTweet(message({ data: post({ id: '1234567890123456789', author_id: '9007199254740993' }) }));
    expect(tweet._id).toBe('1234567890123456789');
    expect(tweet.author_id).toBe('9007199254740993');
  });

  it('keeps emoji, right-to-left text and HTML special characters verbatim', () => {
    const text = `Kubernetes 🚀🇬🇧 مرحبا بالعالم שלום <script>alert("x")</script> &amp; & " ' ‏`;
    expect(mapTweet(message({ data: post({ text }) })).text).toBe(text);
  });

  it('maps a post whose author is missing from includes', () => {
    const tweet = mapTweet(message({ includes: {} }));
    expect(tweet).toMatchObject({ author_id: author.id, username: null, name: null, avatar_url: null });
    expect(mapTweet({ data: post() })).toMatchObject({ username: null, rule_tags: [] });
  });

  it('uses the full note_tweet text and its entities for long posts', () => {
    const long = `${'A long post about #docker. '.repeat(40)}end`;
    const tweet = mapTweet(
      message({
        data: post({
          text: `${long.slice(0, 270)}… https://t.co/short`,
          note_tweet: { text: long, entities: { hashtags: [{ start: 1053, end: 1060, tag: 'docker' }] } },
        }),
      }),
    );
    expect(tweet.text).toBe(long);
    expect(tweet.text.length).toBeGreaterThan(1000);
    expect(tweet.hashtags).toEqual([{ tag: 'docker', start: 1053, end: 1060 }]);
    expect(tweet.urls).toEqual([]);
  });

  it('names the referenced type, preferring retweeted over quoted over replied_to', () => {
    const refs = (...types: string[]) => types.map((type, i) => ({ type, id: `10${i}` }));
    const typeOf = (...types: string[]) =>
      mapTweet(message({ data: post({ referenced_tweets: refs(...types) }) })).referenced_type;
    expect(typeOf('retweeted')).toBe('retweeted');
    expect(typeOf('replied_to', 'quoted')).toBe('quoted');
    expect(typeOf('replied_to', 'retweeted', 'quoted')).toBe('retweeted');
    expect(typeOf('replied_to')).toBe('replied_to');
  });

  it('defaults missing metrics to 0 and missing lang and entities to empty', () => {
    const { public_metrics: _m, entities: _e, lang: _l, ...bare } = post();
    const tweet = mapTweet(message({ data: bare }));
    expect(tweet.metrics).toEqual({
      retweet_count: 0,
      reply_count: 0,
      like_count: 0,
      quote_count: 0,
      bookmark_count: 0,
      impression_count: 0,
    });
    expect(tweet).toMatchObject({ lang: null, hashtags: [], mentions: [], urls: [] });
  });

  it('falls back to the short url when X gives no expanded or display url', () => {
    const entities = { urls: [{ start: 0, end: 23, url: 'https://t.co/xyz' }] };
    expect(mapTweet(message({ data: post({ entities }) })).urls).toEqual([
      { url: 'https://t.co/xyz', expanded_url: 'https://t.co/xyz', display_url: 'https://t.co/xyz', start: 0, end: 23 },
    ]);
  });

  it('tags rules by tag, or by id when a rule has no tag', () => {
    const tweet = mapTweet(message({ matching_rules: [{ id: '1', tag: 'docker' }, { id: '1861000000000000002' }] }));
    expect(tweet.rule_tags).toEqual(['docker', '1861000000000000002']);
  });

  it('removes only a trailing _normal size suffix from the avatar', () => {
    const avatar = (profile_image_url: string) =>
      mapTweet(message({ includes: { users: [{ ...author, profile_image_url }] } })).avatar_url;
    expect(avatar('https://pbs.twimg.com/profile_images/1/a_normal.png')).toBe(
      'https://pbs.twimg.com/profile_images/1/a.png',
    );
    expect(avatar('https://pbs.twimg.com/profile_images/1/a_normal')).toBe('https://pbs.twimg.com/profile_images/1/a');
    expect(avatar('https://pbs.twimg.com/profile_images/1/a_normalized.png')).toBe(
      'https://pbs.twimg.com/profile_images/1/a_normalized.png',
    );
  });

  it('treats errors without data as a control message', () => {
    const errors = [
      {
        title: 'operational-disconnect',
        disconnect_type: 'UpstreamOperationalDisconnect',
        detail: 'This stream has been disconnected upstream for operational reasons.',
        type: 'https://api.twitter.com/2/problems/operational-disconnect',
      },
    ];
    expect(mapXMessage({ errors }, ingestedAt)).toEqual({ kind: 'control', errors });
  });

  it('keeps a post that comes with partial errors', () => {
    const errors = [
      {
        value: '999',
        detail: 'Could not find user with id: [999].',
        title: 'Not Found Error',
        resource_type: 'user',
        type: 'https://api.twitter.com/2/problems/resource-not-found',
      },
    ];
    const mapped = mapXMessage(message({ errors }), ingestedAt);
    expect(mapped).toMatchObject({ kind: 'tweet', errors, tweet: { _id: '1861234567890123456' } });
  });

  it('stamps ingested_at with the given time', () => {
    expect(mapTweet(message()).ingested_at).toEqual(ingestedAt);
  });

  it('rejects a post with a bad id, naming the field', () => {
    expect(validationError(() => mapXMessage(message({ data: post({ id: '12a4' }) }))).field).toBe('_id');
    expect(validationError(() => mapXMessage(message({ data: post({ id: 1234 }) }))).field).toBe('data.id');
  });

  it('rejects a post with a bad created_at, naming the field', () => {
    const error = validationError(() => mapXMessage(message({ data: post({ created_at: 'yesterday' }) })));
    expect(error.field).toBe('data.created_at');
    expect(error.message).toMatch(/^invalid tweet: field "data\.created_at": /);
  });

  it('rejects a message that is neither a post nor a control message', () => {
    expect(validationError(() => mapXMessage({})).field).toBe('data');
    expect(validationError(() => mapXMessage('not an object')).field).toBe('(message)');
  });
});

describe('mapXSearchPage', () => {
  it('maps every post of a search page with its author', () => {
    const other = { id: '42', username: 'other', name: 'Other' };
    const page = {
      data: [post(), post({ id: '1861234567890123457', author_id: '42', text: 'second' })],
      includes: { users: [author, other] },
      meta: { newest_id: '1861234567890123457', oldest_id: '1861234567890123456', result_count: 2 },
    };
    const { tweets, rejected } = mapXSearchPage(page, ingestedAt);
    expect(rejected).toEqual([]);
    expect(tweets.map((t) => [t._id, t.username, t.rule_tags])).toEqual([
      ['1861234567890123456', 'XDevelopers', []],
      ['1861234567890123457', 'other', []],
    ]);
  });

  it('maps an empty search page to no documents', () => {
    expect(mapXSearchPage({ meta: { result_count: 0 } }, ingestedAt)).toEqual({ tweets: [], rejected: [] });
  });

  it('rejects only the post that does not fit, naming its field, and maps the others', () => {
    const bad = post({ id: '1861234567890123457', created_at: 5 });
    const { tweets, rejected } = mapXSearchPage({
      data: [post(), bad],
      includes: { users: [author, { name: 'no id' }] },
    });
    expect(tweets.map((t) => [t._id, t.username])).toEqual([['1861234567890123456', 'XDevelopers']]);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.post).toBe(bad);
    expect(rejected[0]?.error.field).toBe('created_at');
  });

  it('throws for a page whose shape is wrong as a whole', () => {
    expect(validationError(() => mapXSearchPage({ data: 'nothing' })).field).toBe('data');
  });
});
