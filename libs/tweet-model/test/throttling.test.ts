import { randomBytes } from 'node:crypto';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { COSMOS_ERRORS, THROTTLE_RETRY_AFTER_MS, throttledError, WireFront } from '@kubeonazure/cosmos-wire-front';
import { MongoServerError, type MongoClient } from 'mongodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connect, IncompleteInsertError, TweetRepository } from '../src/index.js';
import { tweet } from '../src/testing/tweets.js';

// The repository against the real database behind a wire front that throttles like Cosmos DB (code 16500).
const database = `test_throttling_${randomBytes(4).toString('hex')}`;
let front: WireFront;
let client: MongoClient;
let waits: number[];
let repository: TweetRepository;
let throttledOps: string[];

beforeAll(async () => {
  front = await WireFront.start(testMongoUrl(), { record: true });
  client = await connect(front.url, { role: 'writer' });
});

afterAll(async () => {
  await client?.db(database).dropDatabase();
  await client?.close();
  await front?.close();
});

beforeEach(async () => {
  await client
    .db(database)
    .collection('tweets')
    .drop()
    .catch(() => undefined);
  waits = [];
  throttledOps = [];
  const sleep = async (ms: number) => void waits.push(ms);
  const onThrottled = (operation: string) => void throttledOps.push(operation);
  repository = TweetRepository.fromClient(client, { database, maxRetries: 3, sleep, onThrottled });
  await repository.ensureIndexes();
});

/** How many documents the collection holds, read directly: the repository has no count. */
const storedCount = () => client.db(database).collection('tweets').countDocuments();

const batch = (ids: number[]) => ids.map((id) => tweet({ _id: String(id) }));

describe('throttled by Cosmos DB', () => {
  it('retries every repository operation after the RetryAfterMs the server gave', async () => {
    await repository.insertNew(batch([1, 2]));
    const operations: [string, () => Promise<unknown>][] = [
      ['createIndexes', () => repository.ensureIndexes()],
      ['insert', () => repository.insertNew(batch([3]))],
      ['find', () => repository.latest({ limit: 1 })],
      ['find', () => repository.newerThan(null, 1)],
      ['find', () => repository.newest()],
    ];
    for (const [command, operation] of operations) {
      front.errors.rejectNext(command, 2);
      await operation();
    }
    expect(waits).toEqual(Array(operations.length * 2).fill(THROTTLE_RETRY_AFTER_MS));
    expect(await storedCount()).toBe(3);
    // Every 16500 is reported with the operation it answered (the streamer's throttled counter).
    expect(throttledOps).toEqual(['create_index', 'create_index', 'insert', 'insert', ...Array(6).fill('read')]);
  });

  it('retries only the throttled writes of a bulk write and counts inserts exactly', async () => {
    await repository.insertNew(batch([1, 2]));
    const insertsBefore = front.commands('insert').length;
    front.errors.throttleNextInsert([1, 2, 4]);
    expect(await repository.insertNew(batch([1, 2, 3, 4, 5]))).toEqual({ inserted: 3, duplicates: 2 });
    const [first, retry] = front.commands('insert').slice(insertsBefore);
    expect(first?.documents.map((d: { _id: string }) => d._id)).toEqual(['1', '2', '3', '4', '5']);
    expect(retry?.documents.map((d: { _id: string }) => d._id)).toEqual(['2', '3', '5']);
    expect(waits).toEqual([THROTTLE_RETRY_AFTER_MS]);
    expect(throttledOps).toEqual(['insert']);
    expect(await storedCount()).toBe(5);
  });

  it('withOptions gives the same collection with other retry options: { maxRetries: 0 } fails at once', async () => {
    await repository.insertNew(batch([1]));
    front.errors.rejectNext('find', 1);
    const finds = front.commands('find').length;
    const error = await repository
      .withOptions({ maxRetries: 0 })
      .latest({ limit: 1 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 16500 });
    expect(front.commands('find').length - finds).toBe(1);
    expect(waits).toEqual([]);
    expect((await repository.latest({ limit: 1 })).tweets.map((t) => t._id)).toEqual(['1']);
  });

  it('gives up after maxRetries with the driver error', async () => {
    front.errors.rejectNext('insert', 10);
    const error = await repository.insertNew(batch([1])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoServerError);
    expect((error as MongoServerError).code).toBe(16500);
    expect(waits).toHaveLength(3);
    front.errors.rejectNext('insert', 0);
    expect(await storedCount()).toBe(0);
  });
});

describe('throttled past the caller’s deadline', () => {
  // The real sleep: the deadline is the repository's maxTimeMS, the time its caller waits.
  const withDeadline = (maxTimeMS: number) => TweetRepository.fromClient(client, { database, maxTimeMS });

  it('stops retrying when the wait Cosmos DB asks for would pass the deadline, and rethrows', async () => {
    front.errors.rejectNext('find', Infinity, throttledError(500));
    const finds = front.commands('find').length;
    try {
      const error = await withDeadline(300)
        .latest({ limit: 1 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MongoServerError);
      expect(error).toMatchObject({ code: 16500 });
      // One attempt: a retry after 500 ms would come after the caller stopped waiting at 300 ms.
      expect(front.commands('find').length - finds).toBe(1);
    } finally {
      front.errors.rejectNext('find', 0);
    }
  }, 15_000);

  it('retries while the waits fit in the deadline', async () => {
    await repository.insertNew(batch([1]));
    front.errors.rejectNext('find', 2, throttledError(50));
    const finds = front.commands('find').length;
    expect((await withDeadline(1_000).latest({ limit: 1 })).tweets).toHaveLength(1);
    expect(front.commands('find').length - finds).toBe(3);
  });
});

describe('writes the database refuses', () => {
  it('reports what a bulk insert stored and which posts are left, each with its error', async () => {
    await repository.insertNew(batch([1]));
    front.errors.failNextInsert([1, 3], COSMOS_ERRORS.documentInvalid);
    const error = await repository.insertNew(batch([1, 2, 3, 4])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IncompleteInsertError);
    const incomplete = error as IncompleteInsertError;
    expect([incomplete.inserted, incomplete.duplicates]).toEqual([1, 1]);
    expect(incomplete.unstored.map(({ tweet, error }) => [tweet._id, error.code])).toEqual([
      ['2', 121],
      ['4', 121],
    ]);
    expect(await storedCount()).toBe(2);
  });

  it('keeps the count of what was stored when the retry of throttled writes fails as a whole', async () => {
    front.errors.throttleNextInsert([1]);
    // The retry of the throttled write meets a read-only key.
    const retried = new Promise<void>((resolve) => {
      const sleep = async () => {
        front.errors.rejectNext('insert', 1, COSMOS_ERRORS.readOnlyKey);
        resolve();
      };
      repository = TweetRepository.fromClient(client, { database, maxRetries: 3, sleep });
    });
    const error = await repository.insertNew(batch([1, 2, 3])).catch((e: unknown) => e);
    await retried;
    expect(error).toBeInstanceOf(IncompleteInsertError);
    const incomplete = error as IncompleteInsertError;
    expect(incomplete.inserted).toBe(2);
    expect(incomplete.unstored.map(({ tweet, error }) => [tweet._id, error.code])).toEqual([['2', 13]]);
    expect(await storedCount()).toBe(2);
  });
});
