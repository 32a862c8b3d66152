import { randomBytes } from 'node:crypto';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { WireFront } from '@kubeonazure/cosmos-wire-front';
import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, encodeCursor, TweetRepository } from '../src/index.js';
import { tweet } from '../src/testing/tweets.js';

// What the server is told, seen by a wire front in front of the real database.
const database = `test_max_time_${randomBytes(4).toString('hex')}`;
let front: WireFront;
let client: MongoClient;

beforeAll(async () => {
  front = await WireFront.start(testMongoUrl(), { record: true });
  client = await connect(front.url, { role: 'reader' });
});

afterAll(async () => {
  await client?.db(database).dropDatabase();
  await client?.close();
  await front?.close();
});

describe('maxTimeMS', () => {
  it('is sent with every read, so the server abandons what the caller gave up on', async () => {
    const repository = TweetRepository.fromClient(client, { database, maxTimeMS: 1500 });
    await repository.insertNew([tweet()]);
    await repository.latest({ limit: 5 });
    await repository.latest({ limit: 5, before: encodeCursor(tweet()) });
    await repository.newerThan(null, 5);
    await repository.newest();
    const reads = [...front.commands('find'), ...front.commands('aggregate')];
    expect(reads.length).toBeGreaterThanOrEqual(4);
    expect(reads.map((read) => read.maxTimeMS)).toEqual(Array(reads.length).fill(1500));
  });
});
