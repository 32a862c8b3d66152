import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { COSMOS_ERRORS, throttledError, WireFront, type ServerError } from '@kubeonazure/cosmos-wire-front';
import { startApp, type App } from '../src/app.js';
import { FakeXApi, frame } from '@kubeonazure/fake-x-api';
import {
  captureLogger,
  databaseName,
  metric,
  readyz,
  recordingSleep,
  streamMessage,
  testConfig,
  waitFor,
  withMongo,
} from './helpers.js';

// The streamer writes to the real database through a Cosmos-shaped wire front that answers with the
// errors Cosmos DB gives (a read-only key, a full storage quota, a timeout, a refused document).
const url = testMongoUrl();
const databases: string[] = [];
let front: WireFront;
let api: FakeXApi;
let app: App | undefined;

beforeAll(async () => {
  front = await WireFront.start(url, { record: true });
});
afterAll(async () => {
  await withMongo(url, async (client) => {
    for (const name of databases) await client.db(name).dropDatabase();
  });
  await front?.close();
});
beforeEach(async () => {
  api = await FakeXApi.start();
});
afterEach(async () => {
  front.errors.rejectNext('insert', 0);
  front.errors.rejectNext('findAndModify', 0);
  await app?.stop(5_000);
  app = undefined;
  await api.close();
});

/** Streams `posts` into a streamer whose batches hold four posts each. */
async function start(posts: ReturnType<typeof streamMessage>[]) {
  const database = databaseName('writes');
  databases.push(database);
  api.streamScripts.push({ steps: posts.map(frame), ending: 'hang' });
  const capture = captureLogger();
  const config = testConfig(front.url, database, {
    X_BEARER_TOKEN: api.token,
    X_API_BASE_URL: api.baseUrl,
    BATCH_SIZE: '4',
    BATCH_MAX_WAIT_MS: '60000',
    GAP_FILL_MAX_POSTS: '0',
  });
  app = await startApp(config, { logger: capture.logger, sleep: recordingSleep().sleep });
  const running = app;
  const stored = (n: number) =>
    waitFor(async () => (await metric(running, 'streamer_tweets_stored_total')) === n, `${n} stored`);
  const ids = () =>
    withMongo(url, async (client) => (await client.db(database).collection('tweets').distinct('_id')).sort());
  return { app: running, lines: capture.lines, stored, ids };
}

const posts = (n: number) => Array.from({ length: n }, (_, i) => streamMessage(`write ${i} #docker`));

describe('permanent write errors', () => {
  it.each<[string, ServerError, RegExp]>([
    ['a read-only key', COSMOS_ERRORS.readOnlyKey, /not authorized to write/],
    ['a full storage quota', COSMOS_ERRORS.storageQuota, /storage quota exceeded/],
  ])(
    '%s: logged once at error, /readyz 503 and counted while writes fail; stored once they work',
    async (_, error, cause) => {
      front.errors.rejectNext('insert', Infinity, error);
      const four = posts(4);
      const { app, lines, stored, ids } = await start(four);
      await waitFor(
        async () => (await metric(app, 'streamer_batch_failures_total', { kind: 'permanent' })) >= 3,
        'three failed attempts',
      );

      expect(await readyz(app)).toEqual({
        status: 503,
        body: { status: 'unavailable', database: true, source: true, writes: false },
      });
      const failures = lines().filter((line) => String(line.msg).startsWith('database writes fail'));
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatchObject({
        level: 50,
        kind: 'permanent',
        code: 13,
        err: expect.objectContaining({ message: expect.stringContaining(error.errmsg) }),
        holding: 4,
      });
      expect(failures[0]?.cause).toMatch(cause);

      front.errors.rejectNext('insert', 0);
      front.errors.rejectNext('findAndModify', 0);
      await stored(4);
      expect(await ids()).toEqual(four.map((post) => post.data.id).sort());
      expect((await readyz(app)).status).toBe(200);
      expect(lines().find((line) => line.msg === 'database writes succeed again')).toMatchObject({ level: 30 });
      expect(await metric(app, 'streamer_batch_failures_total', { kind: 'transient' })).toBe(0);
    },
  );
});

describe('throttled inserts', () => {
  it('are retried and counted in streamer_database_throttled_total by operation, each 16500 once', async () => {
    front.errors.rejectNext('insert', 2);
    const four = posts(4);
    const { app, stored, ids } = await start(four);
    await stored(4);
    expect(await ids()).toEqual(four.map((post) => post.data.id).sort());
    expect(await metric(app, 'streamer_database_throttled_total', { operation: 'insert' })).toBe(2);
    // Every operation's series is there before its first throttle.
    expect(await app.metrics.registry.metrics()).toMatch(
      /^streamer_database_throttled_total\{operation="read",region="[a-z]+"\} 0$/m,
    );
    expect(await metric(app, 'streamer_batch_failures_total', { kind: 'transient' })).toBe(0);
  });
});

describe('partly failed bulk inserts', () => {
  it('resends only the posts the bulk insert did not store', async () => {
    front.errors.failNextInsert([1, 2], COSMOS_ERRORS.timeLimit);
    const insertsBefore = front.commands('insert').length;
    const four = posts(4);
    const { app, lines, stored, ids } = await start(four);
    await stored(4);

    const [first, retry, ...more] = front.commands('insert').slice(insertsBefore);
    expect(first?.documents.map((d: { _id: string }) => d._id)).toEqual(four.map((post) => post.data.id));
    expect(retry?.documents.map((d: { _id: string }) => d._id)).toEqual([four[1]!.data.id, four[2]!.data.id]);
    expect(more).toEqual([]);
    expect(await ids()).toEqual(four.map((post) => post.data.id).sort());
    expect(await metric(app, 'streamer_tweets_duplicates_total')).toBe(0);
    expect(await metric(app, 'streamer_batch_failures_total', { kind: 'transient' })).toBe(1);
    expect(lines().filter((line) => String(line.msg).startsWith('database writes'))).toMatchObject([
      {
        msg: 'database writes fail; holding the posts and retrying',
        level: 40,
        code: 50,
        holding: 2,
        err: expect.objectContaining({ message: COSMOS_ERRORS.timeLimit.errmsg }),
      },
      { msg: 'database writes succeed again', attempts: 2 },
    ]);
  });

  it('skips and counts a post the database refuses, and goes on with the others', async () => {
    front.errors.failNextInsert([0], COSMOS_ERRORS.documentInvalid);
    const eight = posts(8);
    const { app, lines, stored, ids } = await start(eight);
    await stored(7);

    expect(await ids()).toEqual(
      eight
        .slice(1)
        .map((post) => post.data.id)
        .sort(),
    );
    expect(await metric(app, 'streamer_tweets_rejected_total')).toBe(1);
    expect(lines().find((line) => line.msg === 'the database refused posts; they are skipped')).toMatchObject({
      level: 50,
      ids: [eight[0]!.data.id],
      code: 121,
    });
    expect(await metric(app, 'streamer_batch_failures_total')).toBe(0);
    expect((await readyz(app)).status).toBe(200);
  });
});

describe('throttled lease claims', () => {
  it('counts each 16500 answer to a claim under operation "lease", and still takes the lease', async () => {
    const database = databaseName('writes');
    databases.push(database);
    // The first three claims are throttled, each for 50 ms: retried within the claim's bound.
    front.errors.rejectNext('findAndModify', 3, throttledError(50));
    app = await startApp(
      testConfig(front.url, database, {
        X_BEARER_TOKEN: api.token,
        X_API_BASE_URL: api.baseUrl,
        LEASE: 'true',
        LEASE_TTL_MS: '3000',
      }),
      { logger: captureLogger().logger },
    );
    const running = app;
    await waitFor(() => running.metrics.leaseHeld.get().then((held) => held.values[0]?.value === 1), 'the lease held');
    expect(await metric(running, 'streamer_database_throttled_total', { operation: 'lease' })).toBe(3);
    expect(await metric(running, 'streamer_database_throttled_total', { operation: 'insert' })).toBe(0);
  });
});
