import { randomBytes } from 'node:crypto';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevDatabase } from '@kubeonazure/dev-db';
import { connect, createClient, keepConnecting, TweetRepository } from '../src/index.js';
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

describe('keepConnecting', () => {
  it('connects a client whose first connect failed, once the database answers', async () => {
    const db = await startDevDatabase({ preferEnv: false });
    const client = createClient(db.url, { role: 'writer' });
    try {
      await db.pause();
      // The first use fails after the server selection timeout and leaves the topology closed.
      await expect(client.db(database).command({ ping: 1 })).rejects.toThrow();
      await expect(client.db(database).command({ ping: 1 })).rejects.toThrow(/Topology is closed/);

      const connected = keepConnecting(client, {
        retryMaxMs: 200,
        signal: new AbortController().signal,
        onRetry: () => undefined,
      });
      await db.restart();
      expect(await connected).toBe(true);
      expect(await client.db(database).command({ ping: 1 })).toMatchObject({ ok: 1 });
    } finally {
      await client.close();
      await db.stop();
    }
  }, 60_000);

  it('ends with false, without a word, when its signal aborts', async () => {
    const client = createClient('mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=100', { role: 'writer' });
    const stopping = new AbortController();
    const failures: unknown[] = [];
    const connected = keepConnecting(client, {
      retryMaxMs: 50,
      signal: stopping.signal,
      onRetry: (error) => failures.push(error),
    });
    stopping.abort();
    await client.close();
    expect(await connected).toBe(false);
    expect(failures).toEqual([]);
  });
});
