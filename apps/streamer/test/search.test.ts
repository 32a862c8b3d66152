import { afterAll, afterEach, expect, it } from 'vitest';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { startApp, type App } from '../src/app.js';
import { FakeXApi, type Post } from '@kubeonazure/fake-x-api';
import { captureLogger, databaseName, metric, streamMessage, testConfig, waitFor, withMongo } from './helpers.js';

const url = testMongoUrl();
const database = databaseName('search');
let api: FakeXApi | undefined;
let app: App | undefined;

afterEach(async () => {
  await app?.stop(5_000);
  await api?.close();
});
afterAll(async () => {
  await withMongo(url, (client) => client.db(database).dropDatabase());
});

const INTERVAL_MS = 45_000;
const posts = (from: number, to: number): Post[] =>
  Array.from({ length: to - from + 1 }, (_, i) =>
    streamMessage(`search hit ${from + i} #docker`, String(1_996_000_000_000_000_000n + BigInt(from + i))),
  );
const id = (n: number) => String(1_996_000_000_000_000_000n + BigInt(n));

it('pages with next_token under one since_id, moves since_id to the newest post, and respects rate limits', async () => {
  api = await FakeXApi.start();
  const fake = api;
  fake.searchPosts.push(...posts(1, 25));
  // The poll interval waits for the test to let the next poll go; a rate-limit wait lets the window reset.
  const polls: (() => void)[] = [];
  const delays: number[] = [];
  const sleep = async (ms: number, signal?: AbortSignal) => {
    delays.push(ms);
    if (ms > INTERVAL_MS) {
      fake.searchRemaining = 450;
      return;
    }
    await new Promise<void>((resolve) => {
      polls.push(resolve);
      signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  };
  const nextPoll = async () => {
    await waitFor(() => polls.length > 0, 'the poll to finish');
    polls.shift()?.();
  };
  const { logger } = captureLogger();
  app = await startApp(
    testConfig(url, database, {
      STREAMER_SOURCE: 'search',
      X_BEARER_TOKEN: fake.token,
      X_API_BASE_URL: fake.baseUrl,
      TRACK: 'docker,docker compose',
      SEARCH_INTERVAL_MS: String(INTERVAL_MS),
      BATCH_MAX_WAIT_MS: '20',
    }),
    { logger, sleep },
  );
  const stored = () => withMongo(url, (client) => client.db(database).collection('tweets').countDocuments());

  // Poll 1: no since_id yet, so only the newest page.
  await waitFor(() => polls.length > 0, 'the first poll');
  await waitFor(async () => (await stored()) === 10, 'the newest page stored');

  // Poll 2: 23 new posts over three pages; the window runs out after the first page.
  fake.searchPosts.push(...posts(26, 48));
  fake.searchRemaining = 1;
  await nextPoll();
  await waitFor(() => polls.length > 0, 'the second poll');

  // Poll 3: nothing new; poll 4: the window is exhausted, X answers 429.
  await nextPoll();
  await waitFor(() => polls.length > 0, 'the third poll');
  fake.searchRemaining = 0;
  await nextPoll();
  await waitFor(() => polls.length > 0 && fake.searchTooManyRequests === 1, 'the 429 and the retry');

  const requests = fake
    .requestsTo('/2/tweets/search/recent')
    .map(({ query }) => [query.get('since_id'), query.get('next_token')]);
  expect(requests).toEqual([
    [null, null],
    [id(25), null],
    [id(25), 'page-10'],
    [id(25), 'page-20'],
    [id(48), null],
    [id(48), null], // answered 429
    [id(48), null],
  ]);
  const [first] = fake.requestsTo('/2/tweets/search/recent');
  expect(first?.query.get('query')).toBe('docker OR (docker compose)');
  expect(first?.query.get('expansions')).toBe('author_id');
  await waitFor(async () => (await stored()) === 33, 'all new posts stored');
  // The rate-limit waits last until the advertised reset, about 15 minutes away.
  const rateLimitWaits = delays.filter((ms) => ms > INTERVAL_MS);
  expect(rateLimitWaits).toHaveLength(2);
  for (const ms of rateLimitWaits) expect(ms).toBeGreaterThan(800_000);
});

/** A sleep that lets no second poll start: each app polls once, then waits until it is stopped. */
const oncePerRun = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    signal?.addEventListener('abort', () => resolve(), { once: true });
  });

async function startSearching(fake: FakeXApi, db: string) {
  const capture = captureLogger();
  const running = await startApp(
    testConfig(url, db, {
      STREAMER_SOURCE: 'search',
      X_BEARER_TOKEN: fake.token,
      X_API_BASE_URL: fake.baseUrl,
      BATCH_MAX_WAIT_MS: '20',
    }),
    { logger: capture.logger, sleep: oncePerRun },
  );
  app = running;
  return { running, lines: capture.lines };
}

/** A first run that stores the newest page and stops. */
async function firstRun(fake: FakeXApi, db: string): Promise<void> {
  const first = await startSearching(fake, db);
  await waitFor(
    async () => (await metric(first.running, 'streamer_tweets_stored_total')) === 10,
    'the newest page stored',
  );
  await first.running.stop(5_000);
}

it('resumes after a restart from the newest stored post: nothing published meanwhile is lost', async () => {
  api = await FakeXApi.start();
  const db = `${database}_restart`;
  api.searchPosts.push(...posts(101, 110));
  await firstRun(api, db);

  // 25 posts while the streamer was down: more than one page.
  api.searchPosts.push(...posts(111, 135));
  const second = await startSearching(api, db);
  await waitFor(() => api!.requestsTo('/2/tweets/search/recent').length === 4, 'the second poll');
  await second.running.stop(5_000);
  app = undefined;

  const requests = api
    .requestsTo('/2/tweets/search/recent')
    .map(({ query }) => [query.get('since_id'), query.get('next_token')]);
  expect(requests).toEqual([
    [null, null],
    [id(110), null],
    [id(110), 'page-10'],
    [id(110), 'page-20'],
  ]);
  await withMongo(url, async (client) => {
    const tweets = client.db(db).collection('tweets');
    expect(await tweets.countDocuments()).toBe(35);
    await client.db(db).dropDatabase();
  });
  expect(await metric(second.running, 'streamer_tweets_duplicates_total')).toBe(0);
});

it('after an outage longer than the search window: polls from the window start, counts the loss, never asks with the refused since_id again', async () => {
  api = await FakeXApi.start();
  const db = `${database}_long_outage`;
  const searches = () => api!.requestsTo('/2/tweets/search/recent');
  api.searchPosts.push(...posts(301, 310));
  await firstRun(api, db);

  // Eight days later: what was stored is beyond X's seven-day window; 25 posts are new.
  api.backdate(8 * 24 * 3600_000);
  api.searchPosts.push(...posts(311, 335));
  const second = await startSearching(api, db);
  await waitFor(
    async () => (await metric(second.running, 'streamer_tweets_stored_total')) === 25,
    'the posts in the window stored',
  );
  await second.running.stop(5_000);
  const refused = searches()[1]!;
  expect(refused.query.get('since_id')).toBe(id(310));
  expect(
    searches()
      .slice(2)
      .map(({ query }) => [query.get('since_id'), query.get('start_time') !== null, query.get('next_token')]),
  ).toEqual([
    [null, true, null],
    [null, true, 'page-10'],
    [null, true, 'page-20'],
  ]);
  const startTime = Date.parse(searches()[2]!.query.get('start_time')!);
  expect(startTime).toBeGreaterThan(Date.now() - 7 * 24 * 3600_000);
  expect(await metric(second.running, 'streamer_gaps_unrecoverable_total', { reason: 'beyond-window' })).toBe(1);
  expect(
    second.lines().filter((line) => String(line.msg).startsWith('since_id is older than recent search reaches')),
  ).toMatchObject([{ level: 40, sinceId: id(310) }]);

  // A restart resumes from the newest stored post, inside the window.
  const third = await startSearching(api, db);
  await waitFor(() => searches().length === 6, 'the poll after the restart');
  await third.running.stop(5_000);
  app = undefined;
  expect(searches()[5]?.query.get('since_id')).toBe(id(335));
  await withMongo(url, async (client) => {
    expect(await client.db(db).collection('tweets').countDocuments()).toBe(35);
    await client.db(db).dropDatabase();
  });
});

it('skips and counts a post that does not fit, and stores the rest of its page', async () => {
  api = await FakeXApi.start();
  const db = `${database}_bad_post`;
  const page = posts(201, 205);
  page[2]!.data.created_at = 'not a date';
  api.searchPosts.push(...page);
  const { running, lines } = await startSearching(api, db);
  await waitFor(async () => (await metric(running, 'streamer_messages_malformed_total')) === 1, 'the bad post counted');
  await waitFor(async () => (await metric(running, 'streamer_tweets_stored_total')) === 4, 'the other posts stored');
  expect(lines().find((line) => line.msg === 'malformed message skipped')?.excerpt).toContain(id(203));
  await withMongo(url, async (client) => {
    expect((await client.db(db).collection('tweets').distinct('_id')).sort()).toEqual([
      id(201),
      id(202),
      id(204),
      id(205),
    ]);
    await client.db(db).dropDatabase();
  });
});
