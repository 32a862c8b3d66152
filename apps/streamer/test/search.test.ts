import { afterAll, afterEach, expect, it } from 'vitest';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { startApp, type App } from '../src/app.js';
import { FakeXApi, type Post } from '@kubeonazure/fake-x-api';
import { captureLogger, databaseName, streamMessage, testConfig, waitFor, withMongo } from './helpers.js';

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
  Array.from({ length: to - from + 1 }, (_, i) => streamMessage(`search hit ${from + i} #docker`, String(1_996_000_000_000_000_000n + BigInt(from + i))));
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

  const requests = fake.requestsTo('/2/tweets/search/recent').map(({ query }) => [query.get('since_id'), query.get('next_token')]);
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
