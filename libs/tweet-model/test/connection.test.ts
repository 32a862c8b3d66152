import { randomBytes } from 'node:crypto';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, TweetRepository } from '../src/index.js';
import { tweet } from '../src/testing/tweets.js';

const database = `test_connection_${randomBytes(4).toString('hex')}`;
let writer: MongoClient;
let reader: MongoClient;

beforeAll(async () => {
  writer = await connect(testMongoUrl(), { role: 'writer' });
  reader = await connect(testMongoUrl(), { role: 'reader', region: 'UK South' });
});

afterAll(async () => {
  await writer?.db(database).dropDatabase();
  await Promise.all([writer?.close(), reader?.close()]);
});

describe('connect', () => {
  it('hands the client to beforeConnect before it connects, so its first topology events are seen', async () => {
    const events: string[] = [];
    const client = await connect(testMongoUrl(), { role: 'writer' }, (created) =>
      created.on('topologyOpening', () => events.push('topologyOpening')),
    );
    await client.close();
    expect(events).toEqual(['topologyOpening']);
  });

  it('gives a writer and a regional reader that the database accepts', async () => {
    expect(writer.readPreference.mode).toBe('primary');
    expect(reader.readPreference.mode).toBe('nearest');
    expect(reader.readPreference.tags).toEqual([{ region: 'UK South' }, {}]);

    await TweetRepository.fromClient(writer, { database }).insertNew([tweet()]);
    const readSide = TweetRepository.fromClient(reader, { database });
    expect((await readSide.latest({ limit: 5 })).tweets.map((t) => t._id)).toEqual([tweet()._id]);
  });
});
