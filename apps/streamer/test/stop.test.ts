import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, expect, it } from 'vitest';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { WireFront } from '@kubeonazure/cosmos-wire-front';
import { FakeXApi } from '@kubeonazure/fake-x-api';
import { startApp, type App } from '../src/app.js';
import { captureLogger, databaseName, metric, streamMessage, testConfig, waitFor, withMongo } from './helpers.js';

// A source that waits for room on a full queue (search, the gap fill) while the database hangs must still
// stop within its bound: a lease hand-back or a stop waits for it (issue 18).
const url = testMongoUrl();
const databases: string[] = [];
// Below the ten posts of the fake X API's first search page, counting the batch in flight as well.
const CAPACITY = 3;
let front: WireFront | undefined;
let api: FakeXApi | undefined;
let app: App | undefined;

afterEach(async () => {
  front?.resume();
  await front?.clear();
  await app?.stop(1_000);
  app = undefined;
  await api?.close();
  await front?.close();
});
afterAll(async () => {
  await withMongo(url, async (client) => {
    for (const name of databases) await client.db(name).dropDatabase();
  });
});

/** Whether `promise` settles within `ms`. */
const settlesWithin = (promise: Promise<unknown>, ms: number) =>
  Promise.race([promise.then(() => true), delay(ms, false)]);

it.each(['search', 'stream'] as const)(
  'stops the %s source within its bound while the queue is full and the database hangs',
  async (source) => {
    front = await WireFront.start(url);
    api = await FakeXApi.start();
    // More posts than the batch in flight and the queue hold: the search (or the gap fill on connect) waits for room.
    for (let n = 1; n <= 30; n++) {
      api.searchPosts.push(streamMessage(`post ${n} #docker`, String(1_997_000_000_000_000_000n + BigInt(n))));
    }
    if (source === 'stream') api.streamScripts.push({ steps: [], ending: 'hang' });
    const database = databaseName('stop');
    databases.push(database);
    const { logger } = captureLogger();
    // The database takes no write: the batch in flight is held and retried, the queue fills.
    front.errors.rejectNext('insert', Number.POSITIVE_INFINITY);
    app = await startApp(
      testConfig(front.url, database, {
        STREAMER_SOURCE: source,
        X_BEARER_TOKEN: api.token,
        X_API_BASE_URL: api.baseUrl,
        QUEUE_CAPACITY: String(CAPACITY),
        BATCH_SIZE: String(CAPACITY),
        BATCH_MAX_WAIT_MS: '20',
      }),
      { logger },
    );
    const running = app;
    await waitFor(async () => (await metric(running, 'streamer_queue_depth')) === CAPACITY, 'the queue full');
    // And then the database hangs altogether.
    front.stall();
    // Within the grace period, before the flush could make room: the source itself gives up its wait.
    const stopping = running.stop(5_000);
    expect(await settlesWithin(running.sourceDone, 1_500)).toBe(true);
    front.resume();
    front.errors.rejectNext('insert', 0);
    await stopping;
    app = undefined;
  },
);
