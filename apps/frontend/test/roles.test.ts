import { randomUUID } from 'node:crypto';
import { WireFront } from '@kubeonazure/cosmos-wire-front';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { connect, TweetRepository } from '@kubeonazure/tweet-model';
import { connectionStringAs, databaseUsers, makeTweets } from '@kubeonazure/tweet-model/testing';
import { MongoClient, MongoServerError } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { TEST_CONFIG } from './support.js';

// The frontend as the `frontend` database user (libs/tweet-model/cosmos/roles/frontend.json), through
// a wire front that enforces the role as Cosmos DB does: it serves the wall, and its connection can
// write nothing.
const database = `test_frontend_roles_${randomUUID().slice(0, 8)}`;
const users = databaseUsers(database);
const seeded = makeTweets(5);
let front: WireFront;
let client: MongoClient;

beforeAll(async () => {
  const owner = await MongoClient.connect(testMongoUrl());
  await TweetRepository.fromClient(owner, { database }).insertNew(seeded);
  await owner.close();
  front = await WireFront.start(testMongoUrl(), { users: Object.values(users) });
  client = await connect(connectionStringAs(front.url, users.frontend!), { role: 'reader' });
});
afterAll(async () => {
  await client?.close();
  await front?.close();
  const owner = await MongoClient.connect(testMongoUrl());
  await owner.db(database).dropDatabase();
  await owner.close();
});

describe('the frontend as its role-based database user', () => {
  it('serves the newest posts', async () => {
    const repository = TweetRepository.fromClient(client, { database, maxTimeMS: TEST_CONFIG.readTimeoutMs });
    const app = await buildApp({ repository, config: TEST_CONFIG });
    try {
      const response = await app.inject('/api/tweets');
      expect(response.statusCode).toBe(200);
      expect(response.json().tweets.map((tweet: { id: string }) => tweet.id)).toEqual(seeded.map((t) => t._id));
    } finally {
      await app.close();
    }
  });

  it('is refused every write with Unauthorized (13), the posts left as they were', async () => {
    const tweets = client.db(database).collection('tweets');
    const refused = async (write: Promise<unknown>) =>
      write.then(
        () => 'written',
        (error: unknown) => (error instanceof MongoServerError ? `${error.code} ${error.codeName}` : String(error)),
      );
    expect(await refused(tweets.insertOne({ _id: 'forged' as never }))).toBe('13 Unauthorized');
    expect(await refused(tweets.deleteMany({}))).toBe('13 Unauthorized');
    expect(await refused(tweets.updateMany({}, { $set: { text: 'defaced' } }))).toBe('13 Unauthorized');
    expect(await refused(tweets.createIndex({ text: 1 }))).toBe('13 Unauthorized');
    expect(await refused(client.db(database).collection('leases').insertOne({}))).toBe('13 Unauthorized');
    expect(await tweets.countDocuments({})).toBe(seeded.length);
  });
});
