import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startDevDatabase, type DevDatabase } from '@kubeonazure/dev-db';
import { startApp, type App } from '../src/app.js';
import { FakeXApi, frame, KEEP_ALIVE, type StreamStep } from '@kubeonazure/fake-x-api';
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

// A private database server: these tests stop it under the running streamer and bring it back.
let db: DevDatabase;
let api: FakeXApi;
let app: App | undefined;

beforeAll(async () => {
  db = await startDevDatabase({ preferEnv: false });
});
afterAll(async () => {
  await db?.stop();
});
beforeEach(async () => {
  api = await FakeXApi.start();
});
afterEach(async () => {
  await app?.stop(5_000);
  app = undefined;
  await api.close();
});

function gate(): { open: () => void; opened: Promise<void> } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

async function start(database: string, env: Record<string, string>) {
  const capture = captureLogger();
  app = await startApp(
    testConfig(db.url, database, {
      X_BEARER_TOKEN: api.token,
      X_API_BASE_URL: api.baseUrl,
      BATCH_MAX_WAIT_MS: '20',
      ...env,
    }),
    { logger: capture.logger, sleep: recordingSleep().sleep },
  );
  return { app, lines: capture.lines };
}

const count = (database: string) =>
  withMongo(db.url, (client) => client.db(database).collection('tweets').countDocuments());

describe('database outage', () => {
  it('holds the posts while the database is down and stores all of them once it is back', {
    timeout: 90_000,
  }, async () => {
    const before = Array.from({ length: 5 }, (_, i) => streamMessage(`before outage ${i} #docker`));
    const during = Array.from({ length: 5 }, (_, i) => streamMessage(`during outage ${i} #docker`));
    const outage = gate();
    api.streamScripts.push({ steps: [...before.map(frame), outage.opened, ...during.map(frame)], ending: 'hang' });
    const database = databaseName('outage');
    const { app, lines } = await start(database, {});
    await waitFor(async () => (await metric(app, 'streamer_tweets_stored_total')) === 5, 'the first posts stored');

    await db.pause();
    outage.open();
    await waitFor(async () => (await metric(app, 'streamer_batch_failures_total')) >= 1, 'a failed batch', 60_000);
    await waitFor(
      async () => (await metric(app, 'streamer_tweets_received_total')) === 10,
      'the posts sent during the outage',
    );
    expect(await readyz(app)).toEqual({
      status: 503,
      body: { status: 'unavailable', database: false, source: true, writes: false },
    });

    await db.restart();
    await waitFor(async () => (await metric(app, 'streamer_tweets_stored_total')) === 10, 'all posts stored', 60_000);
    expect(await count(database)).toBe(10);
    expect(await metric(app, 'streamer_tweets_dropped_total')).toBe(0);
    expect(lines().filter((line) => line.msg === 'database writes fail; holding the posts and retrying')).toMatchObject(
      [{ level: 40 }],
    );
    expect(lines().some((line) => line.msg === 'database writes succeed again')).toBe(true);
    expect((await readyz(app)).status).toBe(200);
  });

  it('counts and logs what the live stream must drop while the queue is full, and fills it', {
    timeout: 90_000,
  }, async () => {
    const posts = Array.from({ length: 12 }, (_, i) => streamMessage(`flood ${i} #docker`));
    const last = streamMessage('after recovery #docker');
    const outage = gate();
    const recovered = gate();
    // X publishes the flood during the outage: recent search finds it from then on.
    const published = outage.opened.then(() => api.searchPosts.push(...posts));
    const steps: StreamStep[] = [published, ...posts.map(frame), recovered.opened, frame(last)];
    api.streamScripts.push({ steps, ending: 'hang' });
    const database = databaseName('drops');
    const { app, lines } = await start(database, { QUEUE_CAPACITY: '3', BATCH_SIZE: '3' });
    await waitFor(() => api.streamConnections === 1, 'the stream connection');
    await waitFor(
      async () => (await metric(app, 'streamer_gap_fills_total', { result: 'complete' })) === 1,
      'the gap fill at start',
    );

    await db.pause();
    outage.open();
    await waitFor(async () => (await metric(app, 'streamer_tweets_received_total')) === 12, 'the flood received');
    const dropped = await metric(app, 'streamer_tweets_dropped_total');
    expect(dropped).toBeGreaterThan(0);
    expect(
      lines().filter((line) => line.msg === 'queue full: dropping live stream posts until the database catches up'),
    ).toMatchObject([{ level: 50 }]);

    await db.restart();
    await waitFor(
      async () => (await metric(app, 'streamer_tweets_stored_total')) === 12 - dropped,
      'the kept posts stored',
      60_000,
    );
    recovered.open();
    await waitFor(async () => (await count(database)) === 13, 'the dropped posts filled and the next post stored');
    expect(
      lines().find((line) => line.msg === 'queue has room again; stream posts were dropped meanwhile'),
    ).toMatchObject({ dropped });
    const fill = api.requestsTo('/2/tweets/search/recent')[1];
    expect(fill?.query.get('since_id')).toBe(posts[12 - dropped - 1]?.data.id);
  });

  it('starts while the database is down, says so on /readyz, and catches up once it is back', {
    timeout: 90_000,
  }, async () => {
    const post = streamMessage('streamed while the database is down #docker');
    const delivered = gate();
    api.streamScripts.push({ steps: [delivered.opened, frame(post)], ending: 'hang' });
    const database = databaseName('down_at_start');
    await db.pause();
    const { app, lines } = await start(database, {});
    await waitFor(() => api.streamConnections === 1, 'the stream connection', 60_000);
    delivered.open();
    expect(await readyz(app)).toMatchObject({ status: 503, body: { database: false } });

    await db.restart();
    await waitFor(async () => (await count(database)) === 1, 'the post stored', 60_000);
    await waitFor(
      () => lines().some((line) => line.msg === 'database connected, indexes ensured'),
      'the indexes',
      60_000,
    );
    await waitFor(async () => (await readyz(app)).status === 200, 'ready');
    const indexes = await withMongo(db.url, (client) => client.db(database).collection('tweets').indexes());
    expect(indexes.map((index) => index.key)).toContainEqual({ created_at: 1, _id: 1 });
  });

  it('fills the gap of a reconnect that received nothing while the database cannot be read', {
    timeout: 90_000,
  }, async () => {
    const missed = streamMessage('published while the stream was down #docker');
    const dropped = gate();
    api.streamScripts.push(
      { steps: [KEEP_ALIVE, dropped.opened], ending: 'reset' },
      { steps: [KEEP_ALIVE], ending: 'hang' },
    );
    const database = databaseName('unreadable');
    const { app } = await start(database, {});
    await waitFor(
      async () => (await metric(app, 'streamer_gap_fills_total', { result: 'complete' })) === 1,
      'the gap fill at start',
    );

    await db.pause();
    api.searchPosts.push(missed);
    dropped.open();
    await waitFor(() => api.requestsTo('/2/tweets/search/recent').length === 2, 'the fill after the reconnect', 60_000);
    await db.restart();
    await waitFor(async () => (await count(database)) === 1, 'the missed post stored', 60_000);
  });
});
