import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { startApp } from '../src/app.js';
import { SAMPLE_FILE } from '../src/config.js';
import { captureLogger, databaseName, metric, streamMessage, testConfig, waitFor, withMongo } from './helpers.js';

const url = testMongoUrl();
const databases: string[] = [];

afterAll(async () => {
  await withMongo(url, async (client) => {
    for (const name of databases) await client.db(name).dropDatabase();
  });
});

function newDatabase(): string {
  const name = databaseName('replay');
  databases.push(name);
  return name;
}

describe('replay', () => {
  it('stores the shipped sample: one document per distinct post id', async () => {
    const lines = (await readFile(SAMPLE_FILE, 'utf8')).trim().split('\n');
    const distinct = new Set(lines.map((line) => (JSON.parse(line) as { data: { id: string } }).data.id));
    expect(lines.length).toBeGreaterThanOrEqual(300);
    expect(distinct.size).toBeLessThan(lines.length);

    const database = newDatabase();
    const { logger } = captureLogger();
    const app = await startApp(testConfig(url, database, { REPLAY_RATE: '0', QUEUE_CAPACITY: '50', BATCH_SIZE: '40' }), { logger });
    await app.sourceDone;
    expect(await app.stop(10_000)).toBe(0);

    await withMongo(url, async (client) => {
      const tweets = client.db(database).collection('tweets');
      expect(await tweets.countDocuments()).toBe(distinct.size);
      const ids = await tweets.distinct('_id');
      expect(new Set(ids)).toEqual(distinct);
      const long = await tweets.findOne({ _id: '1990000000009437184' as never });
      expect(long?.text).toContain('Full write-up');
      expect(await tweets.countDocuments({ rule_tags: 'docker' })).toBe(distinct.size);
    });
    expect(await metric(app, 'streamer_tweets_stored_total')).toBe(distinct.size);
    expect(await metric(app, 'streamer_tweets_duplicates_total')).toBe(lines.length - distinct.size);
    expect(await metric(app, 'streamer_messages_malformed_total')).toBe(0);
  });

  it('counts, logs and skips malformed lines, and serves the ops endpoints', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'replay-'));
    const file = join(dir, 'mixed.jsonl');
    const good = [streamMessage('first #docker'), streamMessage('second #docker')];
    await writeFile(file, [JSON.stringify(good[0]), '{"data": {"id": "1"', '', '{"unexpected": true}', JSON.stringify(good[1])].join('\n'));

    const database = newDatabase();
    const { logger, lines } = captureLogger();
    const app = await startApp(testConfig(url, database, { REPLAY_FILE: file, REPLAY_RATE: '0' }), { logger });
    const server = createServer(app.handler).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await app.sourceDone;
      await waitFor(async () => (await metric(app, 'streamer_tweets_stored_total')) === 2, 'both posts stored');
      expect(await metric(app, 'streamer_messages_malformed_total')).toBe(2);
      const warnings = lines().filter((line) => line.msg === 'malformed message skipped');
      expect(warnings.map((line) => line.excerpt)).toEqual(['{"data": {"id": "1"', '{"unexpected":true}']);

      expect((await fetch(`${base}/livez`)).status).toBe(200);
      const ready = await fetch(`${base}/readyz`);
      expect([ready.status, await ready.json()]).toEqual([200, { status: 'ok', database: true, source: true, writes: true }]);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain('streamer_tweets_stored_total 2');
      expect(metrics).toContain('streamer_queue_depth 0');
      expect(metrics).toContain('streamer_batch_duration_seconds_count');
    } finally {
      server.close();
      await app.stop(10_000);
    }
  });
});
