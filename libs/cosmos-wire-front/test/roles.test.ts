import { randomBytes } from 'node:crypto';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { MongoClient, MongoServerError } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCosmosAccount, WireFront, type CosmosAccount, type WireUser } from '../src/index.js';

// Role-based users through a front, with the real driver and the real development database behind
// it (which has no users of its own): the front signs clients in with SCRAM-SHA-256 and refuses what
// their role does not grant with Unauthorized (13), as Cosmos DB for MongoDB does.
const database = `test_roles_${randomBytes(4).toString('hex')}`;
const password = () => randomBytes(24).toString('base64');
const reader: WireUser = {
  user: 'reader',
  db: database,
  password: password(),
  privileges: [{ Resource: { Db: database, Collection: 'posts' }, Actions: ['find', 'killCursors'] }],
};
const writer: WireUser = {
  user: 'writer',
  db: database,
  password: password(),
  privileges: [{ Resource: { Db: database, Collection: 'posts' }, Actions: ['find', 'insert'] }],
};
let front: WireFront;
const clients: MongoClient[] = [];

/** A client of `url` signed in as `user` (with `password` instead of its own, if given). */
async function as(url: string, user: WireUser | null, passwordGiven = user?.password): Promise<MongoClient> {
  const withUser = new URL(url);
  if (user) {
    withUser.username = user.user;
    withUser.password = encodeURIComponent(passwordGiven!);
    withUser.searchParams.set('authSource', user.db);
    withUser.searchParams.set('authMechanism', 'SCRAM-SHA-256');
  }
  withUser.searchParams.set('serverSelectionTimeoutMS', '5000');
  const client = new MongoClient(withUser.toString());
  clients.push(client);
  return client;
}

const codeOf = async (operation: Promise<unknown>) => {
  const error = await operation.then(
    () => null,
    (e: unknown) => e,
  );
  return error instanceof MongoServerError ? error.code : error;
};

beforeAll(async () => {
  front = await WireFront.start(testMongoUrl(), { users: [reader, writer], record: true });
  const seed = await MongoClient.connect(testMongoUrl());
  await seed
    .db(database)
    .collection('posts')
    .insertOne({ _id: 'seed' as never, text: 'hello' });
  await seed.close();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

afterAll(async () => {
  await front?.close();
  const cleanup = await MongoClient.connect(testMongoUrl());
  await cleanup.db(database).dropDatabase();
  await cleanup.close();
});

describe('a front with role-based users', () => {
  it('signs a user in with SCRAM-SHA-256 and lets it read what its role grants', async () => {
    const client = await as(front.url, reader);
    expect(await client.db(database).collection('posts').find().toArray()).toEqual([{ _id: 'seed', text: 'hello' }]);
    expect(await client.db(database).command({ ping: 1 })).toMatchObject({ ok: 1 });
  });

  it('refuses a wrong password and an unknown user with AuthenticationFailed (18)', async () => {
    const wrong = await as(front.url, reader, password());
    expect(await codeOf(wrong.db(database).collection('posts').findOne())).toBe(18);
    const stranger = await as(front.url, { ...reader, user: 'stranger' });
    expect(await codeOf(stranger.db(database).collection('posts').findOne())).toBe(18);
  });

  it('refuses every command but the handshake and ping to a client that did not sign in', async () => {
    const anonymous = await as(front.url, null);
    expect(await anonymous.db(database).command({ ping: 1 })).toMatchObject({ ok: 1 });
    expect(await codeOf(anonymous.db(database).collection('posts').findOne())).toBe(13);
  });

  it("refuses a read-only user's write with Unauthorized (13), and nothing reaches the database", async () => {
    const client = await as(front.url, reader);
    const posts = client.db(database).collection('posts');
    expect(await codeOf(posts.insertOne({ text: 'not allowed' }))).toBe(13);
    expect(await codeOf(posts.updateOne({ _id: 'seed' as never }, { $set: { text: 'changed' } }))).toBe(13);
    expect(await codeOf(posts.deleteOne({ _id: 'seed' as never }))).toBe(13);
    expect(await codeOf(posts.createIndex({ text: 1 }))).toBe(13);
    expect(await codeOf(client.db(database).dropDatabase())).toBe(13);
    expect(await codeOf(client.db(database).collection('other').findOne())).toBe(13);
    expect(front.commands().map((command) => Object.keys(command)[0])).not.toContain('insert');
    expect(await posts.countDocuments({ text: 'not allowed' })).toBe(0);
  });

  it("passes a writer's inserts and finds, and refuses what its role lacks", async () => {
    const client = await as(front.url, writer);
    const posts = client.db(database).collection('posts');
    await posts.insertOne({ _id: 'by-writer' as never, text: 'written' });
    expect(await posts.findOne({ _id: 'by-writer' as never })).toEqual({ _id: 'by-writer', text: 'written' });
    expect(await codeOf(posts.deleteOne({ _id: 'by-writer' as never }))).toBe(13);
    expect(await codeOf(posts.createIndex({ text: 1 }))).toBe(13);
  });

  it('signs in on every member of an account, the driver discovering the replica set', async () => {
    let account: CosmosAccount | undefined;
    try {
      account = await startCosmosAccount(
        testMongoUrl(),
        [{ region: 'West US', primary: true }, { region: 'UK South' }],
        {
          users: [reader],
        },
      );
      const client = await as(account.url, reader);
      expect(
        await client
          .db(database)
          .collection('posts')
          .findOne({ _id: 'seed' as never }),
      ).toMatchObject({ text: 'hello' });
      expect(await codeOf(client.db(database).collection('posts').insertOne({ text: 'no' }))).toBe(13);
    } finally {
      await account?.close();
    }
  });
});
