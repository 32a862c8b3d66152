import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { promtoolFindings } from '@kubeonazure/service-kit/testing';
import { startApp } from '../src/app.js';
import { SAMPLE_FILE } from '../src/config.js';
import { SHIFT_BACKLOG } from '../src/sources/replay.js';
import { captureLogger, databaseName, metric, streamMessage, testConfig, waitFor, withMongo } from './helpers.js';

const url = testMongoUrl();
const databases: string[] = [];
const scratch = await mkdtemp(join(tmpdir(), 'replay-'));

afterAll(async () => {
  await withMongo(url, async (client) => {
    for (const name of databases) await client.db(name).dropDatabase();
  });
  await rm(scratch, { recursive: true, force: true });
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
    const app = await startApp(
      testConfig(url, database, { REPLAY_RATE: '0', QUEUE_CAPACITY: '50', BATCH_SIZE: '40' }),
      { logger },
    );
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

  it('counts, logs and skips malformed lines, and serves the ops endpoints (metrics that pass promtool)', async () => {
    const dir = await mkdtemp(join(scratch, 'file-'));
    const file = join(dir, 'mixed.jsonl');
    const good = [streamMessage('first #docker'), streamMessage('second #docker')];
    await writeFile(
      file,
      [JSON.stringify(good[0]), '{"data": {"id": "1"', '', '{"unexpected": true}', JSON.stringify(good[1])].join('\n'),
    );

    const database = newDatabase();
    const { logger, lines } = captureLogger();
    const app = await startApp(testConfig(url, database, { REPLAY_FILE: file, REPLAY_RATE: '0' }), { logger });
    const base = await app.ops.listen({ host: '127.0.0.1', port: 0 });
    try {
      await app.sourceDone;
      await waitFor(async () => (await metric(app, 'streamer_tweets_stored_total')) === 2, 'both posts stored');
      expect(await metric(app, 'streamer_messages_malformed_total')).toBe(2);
      const warnings = lines().filter((line) => line.msg === 'malformed message skipped');
      expect(warnings.map((line) => line.excerpt)).toEqual(['{"data": {"id": "1"', '{"unexpected":true}']);

      expect((await fetch(`${base}/livez`)).status).toBe(200);
      const ready = await fetch(`${base}/readyz`);
      expect([ready.status, await ready.json()]).toEqual([
        200,
        { status: 'ok', database: true, source: true, writes: true },
      ]);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain('streamer_tweets_stored_total{region="local"} 2');
      expect(metrics).toContain('streamer_queue_depth{region="local"} 0');
      expect(metrics).toContain('streamer_batch_duration_seconds_count');
      expect(await promtoolFindings(metrics)).toEqual([]);
    } finally {
      await app.ops.close();
      await app.stop(10_000);
    }
  });

  it('shifted to now: the backlog is already in the past, the rest arrives at its recorded spacing', async () => {
    const dir = await mkdtemp(join(scratch, 'file-'));
    const file = join(dir, 'recorded.jsonl');
    const recordedAt = Date.parse('2020-01-01T00:00:00.000Z');
    const posts = Array.from({ length: SHIFT_BACKLOG + 3 }, (_, i) => {
      const message = streamMessage(`post ${i} #docker`);
      return { ...message, data: { ...message.data, created_at: new Date(recordedAt + i * 250).toISOString() } };
    });
    await writeFile(file, posts.map((post) => JSON.stringify(post)).join('\n'));

    const database = newDatabase();
    const { logger } = captureLogger();
    const startedAt = Date.now();
    const app = await startApp(
      testConfig(url, database, { REPLAY_FILE: file, REPLAY_RATE: '0', REPLAY_TIMESTAMPS: 'shifted-to-now' }),
      { logger },
    );
    await app.sourceDone;
    expect(await app.stop(10_000)).toBe(0);

    await withMongo(url, async (client) => {
      const stored = await client.db(database).collection('tweets').find().sort({ created_at: 1 }).toArray();
      const times = stored.map((tweet) => (tweet.created_at as Date).getTime());
      expect(times).toHaveLength(posts.length);
      // One offset for all: the recorded spacing is kept.
      expect(times.map((time, i) => time - (times[0] as number) - i * 250)).toEqual(times.map(() => 0));
      // The post SHIFT_BACKLOG lines in was "now" when the replay started.
      expect(Math.abs((times[SHIFT_BACKLOG] as number) - startedAt)).toBeLessThan(5_000);
      expect((times[0] as number) - startedAt).toBeLessThan(0);
    });
  });
});
