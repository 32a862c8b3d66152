import { randomBytes } from 'node:crypto';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  connect,
  encodeCursor,
  InvalidCursorError,
  mapXMessage,
  TweetRepository,
  type TweetDocument,
} from '../src/index.js';
import { tweet } from '../src/testing/tweets.js';

const database = `test_repository_${randomBytes(4).toString('hex')}`;
let client: MongoClient;
let repository: TweetRepository;

beforeAll(async () => {
  client = await connect(testMongoUrl(), { role: 'writer' });
});

afterAll(async () => {
  await client?.db(database).dropDatabase();
  await client?.close();
});

beforeEach(async () => {
  await client
    .db(database)
    .collection('tweets')
    .drop()
    .catch(() => undefined);
  repository = TweetRepository.fromClient(client, { database });
  await repository.ensureIndexes();
});

/** How many documents the collection holds, read directly: the repository has no count. */
const storedCount = () => client.db(database).collection('tweets').countDocuments();

const ids = (tweets: TweetDocument[]) => tweets.map((t) => t._id);

describe('ensureIndexes', () => {
  it('creates the index that covers the newest-first sort, and is repeatable', async () => {
    await repository.ensureIndexes();
    const indexes = await client.db(database).collection('tweets').listIndexes().toArray();
    expect(indexes.map((index) => index.key)).toContainEqual({ created_at: 1, _id: 1 });
  });
});

describe('insertNew', () => {
  it('stores a post once and keeps the first copy, with its ingested_at, when it is ingested again', async () => {
    const first = tweet({ ingested_at: new Date('2026-11-24T01:00:00Z') });
    const again = tweet({
      ingested_at: new Date('2026-11-24T02:00:00Z'),
      metrics: { ...first.metrics, like_count: 7 },
    });
    expect(await repository.insertNew([first])).toEqual({ inserted: 1, duplicates: 0 });
    expect(await repository.insertNew([again])).toEqual({ inserted: 0, duplicates: 1 });
    expect(await storedCount()).toBe(1);
    const stored = await repository.newest();
    expect(stored?.ingested_at).toEqual(first.ingested_at);
    expect(stored?.metrics.like_count).toBe(first.metrics.like_count);
  });

  it('counts a post repeated within one call as a duplicate', async () => {
    expect(await repository.insertNew([tweet(), tweet()])).toEqual({ inserted: 1, duplicates: 1 });
    expect(await storedCount()).toBe(1);
  });

  it('keeps two ids that differ only beyond 2^53 apart', async () => {
    const a = tweet({ _id: '1234567890123456789' });
    const b = tweet({ _id: '1234567890123456788' });
    expect(Number(a._id)).toBe(Number(b._id));
    expect(await repository.insertNew([a, b])).toEqual({ inserted: 2, duplicates: 0 });
    expect(ids((await repository.latest({ limit: 10 })).tweets)).toEqual([a._id, b._id]);
  });

  it('accepts 1000 posts in one call and rejects more', async () => {
    const batch = Array.from({ length: 1001 }, (_, i) => tweet({ _id: String(1_000_000 + i) }));
    await expect(repository.insertNew(batch)).rejects.toThrow(/at most 1000 tweets per call, got 1001/);
    expect(await storedCount()).toBe(0);
    expect(await repository.insertNew(batch.slice(0, 1000))).toEqual({ inserted: 1000, duplicates: 0 });
    expect(await storedCount()).toBe(1000);
  });

  it('does nothing for no posts', async () => {
    expect(await repository.insertNew([])).toEqual({ inserted: 0, duplicates: 0 });
  });

  it('rejects an invalid document before writing anything', async () => {
    await expect(repository.insertNew([tweet({ _id: '2' }), tweet({ _id: 'x' })])).rejects.toThrow(/field "_id"/);
    expect(await storedCount()).toBe(0);
  });
});

describe('latest', () => {
  // 25 posts on 3 timestamps: ties that only the _id order can break.
  const times = [new Date('2026-11-23T10:00:00Z'), new Date('2026-11-23T11:00:00Z'), new Date('2026-11-23T12:00:00Z')];
  const many = Array.from({ length: 25 }, (_, i) =>
    tweet({ _id: String(1861234567890123000 + i * 7919), created_at: times[i % 3] }),
  );
  const newestFirst = [...many].sort(
    (a, b) => b.created_at.getTime() - a.created_at.getTime() || (a._id < b._id ? 1 : a._id > b._id ? -1 : 0),
  );

  it('pages newest first over equal timestamps, every post exactly once', async () => {
    await repository.insertNew(many);
    const seen: string[] = [];
    let before: string | undefined;
    let pages = 0;
    do {
      const page = await repository.latest({ limit: 4, before });
      expect(page.tweets.length).toBeLessThanOrEqual(4);
      seen.push(...ids(page.tweets));
      before = page.nextCursor ?? undefined;
      pages++;
    } while (before);
    expect(seen).toEqual(ids(newestFirst));
    expect(pages).toBe(7);
  });

  it('has no next cursor when the last page is exactly full', async () => {
    await repository.insertNew(many.slice(0, 8));
    const first = await repository.latest({ limit: 4 });
    expect(first.nextCursor).not.toBeNull();
    const second = await repository.latest({ limit: 4, before: first.nextCursor ?? undefined });
    expect(second.tweets).toHaveLength(4);
    expect(second.nextCursor).toBeNull();
  });

  it('answers an empty collection with an empty page', async () => {
    expect(await repository.latest({ limit: 10 })).toEqual({ tweets: [], nextCursor: null });
    expect(await repository.newest()).toBeNull();
    expect(await repository.newerThan(null, 10)).toEqual([]);
  });

  it('rejects a cursor it did not make and a bad limit', async () => {
    await expect(repository.latest({ limit: 4, before: 'garbage' })).rejects.toThrow(InvalidCursorError);
    await expect(repository.latest({ limit: 0 })).rejects.toThrow(RangeError);
    await expect(repository.newerThan(null, 1.5)).rejects.toThrow(RangeError);
  });

  it('finds posts strictly newer than a position, newest first', async () => {
    await repository.insertNew(many);
    const position = newestFirst[10]!;
    const newer = await repository.newerThan(encodeCursor(position), 100);
    expect(ids(newer)).toEqual(ids(newestFirst.slice(0, 10)));
    expect(ids(await repository.newerThan(encodeCursor(position), 3))).toEqual(ids(newestFirst.slice(0, 3)));
    expect(ids(await repository.newerThan(encodeCursor(newestFirst[0]!), 10))).toEqual([]);
    expect(ids(await repository.newerThan(null, 2))).toEqual(ids(newestFirst.slice(0, 2)));
    expect((await repository.newest())?._id).toBe(newestFirst[0]!._id);
  });
});

describe('newestId', () => {
  it('is the id of the newest stored post, or null when none is', async () => {
    expect(await repository.newestId()).toBeNull();
    await repository.insertNew([
      tweet({ _id: '1861234567890123459', created_at: new Date('2026-11-23T10:00:00Z') }),
      tweet({ _id: '1861234567890123461', created_at: new Date('2026-11-23T12:00:00Z') }),
      tweet({ _id: '1861234567890123460', created_at: new Date('2026-11-23T12:00:00Z') }),
    ]);
    expect(await repository.newestId()).toBe('1861234567890123461');
  });

  it('compares ids as numbers among the posts of the newest second (X gives created_at in whole seconds)', async () => {
    await repository.insertNew([
      tweet({ _id: '1000000000000000000', created_at: new Date('2026-11-23T12:00:00.000Z') }),
      tweet({ _id: '999999999999999999', created_at: new Date('2026-11-23T12:00:00.000Z') }),
      tweet({ _id: '999999999999999998', created_at: new Date('2026-11-23T12:00:00.900Z') }),
      tweet({ _id: '1', created_at: new Date('2026-11-23T11:59:59.999Z') }),
    ]);
    expect(await repository.newestId()).toBe('1000000000000000000');
  });
});

describe('mapped posts round-trip through the database unchanged', () => {
  const at = new Date('2026-11-24T01:00:00.000Z');
  const post = (id: string, fields: Record<string, unknown>) => ({
    data: { id, text: 'x', created_at: '2026-11-23T22:10:05.123Z', author_id: '2244994945', ...fields },
    includes: {
      users: [
        {
          id: '2244994945',
          username: 'XDevelopers',
          name: 'مطور 👩‍💻',
          profile_image_url: 'https://pbs.twimg.com/p/a_normal.jpg',
        },
      ],
    },
    matching_rules: [{ id: '1', tag: 'docker' }],
  });
  const messages = [
    post('1', { text: 'Kubernetes 🚀🇬🇧👩🏽‍💻 مرحبا بالعالم שלום' }),
    post('2', { text: `<script>alert("hi")</script> &amp; & " ' \u202e` }),
    post('3', { author_id: '42' }),
    post('4', { text: 'RT @docker: Compose', referenced_tweets: [{ type: 'retweeted', id: '9' }] }),
    post('5', { text: 'short…', note_tweet: { text: `${'long '.repeat(5000)}🚀` } }),
  ];

  it('stores and reads back every field verbatim', async () => {
    const mapped = messages.map((m) => {
      const result = mapXMessage(m, at);
      if (result.kind !== 'tweet') throw new Error('expected a tweet');
      return result.tweet;
    });
    await repository.insertNew(mapped);
    const stored = (await repository.latest({ limit: 10 })).tweets;
    expect([...stored].sort((a, b) => a._id.localeCompare(b._id))).toEqual(mapped);
    expect(mapped[2]).toMatchObject({ username: null, name: null, avatar_url: null });
    expect(mapped[3]?.referenced_type).toBe('retweeted');
    expect(mapped[4]?.text.length).toBeGreaterThan(25_000);
  });
});
