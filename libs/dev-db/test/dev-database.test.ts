import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { startDevDatabase, type DevDatabase } from '../src/index.js';
import { testMongoUrl } from '../src/testing.js';

async function withClient<T>(url: string, use: (client: MongoClient) => Promise<T>): Promise<T> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 1_000 });
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

describe('the shared test database', () => {
  it('is started once for the run and answers ping', async () => {
    const reply = await withClient(testMongoUrl(), (client) => client.db('admin').command({ ping: 1 }));
    expect(reply.ok).toBe(1);
  });
});

describe('a private database', () => {
  let database: DevDatabase;
  afterAll(() => database?.stop());

  it('keeps its url and data across pause and restart', async () => {
    database = await startDevDatabase({ preferEnv: false });
    expect(database.kind).not.toBe('external');
    await withClient(database.url, (client) =>
      client
        .db('devdb')
        .collection('things')
        .insertOne({ _id: 'kept' } as never),
    );

    await database.pause();
    await expect(withClient(database.url, (client) => client.db('admin').command({ ping: 1 }))).rejects.toThrow();

    await database.restart();
    const found = await withClient(database.url, (client) => client.db('devdb').collection('things').findOne({}));
    expect(found).toEqual({ _id: 'kept' });
  });

  it('uses MONGO_URL when it is set, and refuses to restart a server it does not own', async () => {
    const saved = process.env.MONGO_URL;
    process.env.MONGO_URL = 'mongodb://user:secret@db.example:27017/';
    try {
      const external = await startDevDatabase();
      expect(external).toMatchObject({ kind: 'external', url: 'mongodb://user:secret@db.example:27017/' });
      await expect(external.restart()).rejects.toThrow('cannot stop or restart');
    } finally {
      if (saved === undefined) delete process.env.MONGO_URL;
      else process.env.MONGO_URL = saved;
    }
  });
});
