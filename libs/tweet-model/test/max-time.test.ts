import { randomBytes } from 'node:crypto';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import type { Document, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, encodeCursor, TweetRepository } from '../src/index.js';
import { startWireProxy, type WireProxy } from '../src/testing/index.js';
import { tweet } from '../src/testing/tweets.js';

// What the server is told, seen by a wire proxy in front of the real database.
const database = `test_max_time_${randomBytes(4).toString('hex')}`;
let proxy: WireProxy;
let client: MongoClient;
const reads: Document[] = [];

beforeAll(async () => {
  proxy = await startWireProxy(testMongoUrl(), {
    onRequest: ({ name, command }) => void (['find', 'aggregate'].includes(name) && reads.push(command)),
  });
  client = await connect(proxy.url, { role: 'reader' });
});

afterAll(async () => {
  await client?.db(database).dropDatabase();
  await client?.close();
  await proxy?.close();
});

describe('maxTimeMS', () => {
  it('is sent with every read, so the server abandons what the caller gave up on', async () => {
    const repository = TweetRepository.fromClient(client, { database, maxTimeMS: 1500 });
    await repository.insertNew([tweet()]);
    await repository.latest({ limit: 5 });
    await repository.latest({ limit: 5, before: encodeCursor(tweet()) });
    await repository.newerThan(null, 5);
    await repository.newest();
    expect(reads.length).toBeGreaterThanOrEqual(4);
    expect(reads.map((read) => read.maxTimeMS)).toEqual(Array(reads.length).fill(1500));
  });
});
