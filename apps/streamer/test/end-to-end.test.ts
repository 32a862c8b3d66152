import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { FakeXApi, frame, OPERATIONAL_DISCONNECT, type Post } from '@kubeonazure/fake-x-api';
import { databaseName, runServer, streamMessage, waitFor, waitForPort, withMongo } from './helpers.js';

// The built streamer (dist/server.js, built by the test target's dependsOn) against the loopback X
// API: across a disconnect notice, a stream outage, a restart in each mode, every post X published
// is stored, and none twice.
const url = testMongoUrl();
const databases: string[] = [];
let api: FakeXApi;
const servers: ReturnType<typeof runServer>[] = [];

beforeEach(async () => {
  api = await FakeXApi.start();
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop('SIGKILL')));
  await api.close();
});
afterAll(async () => {
  await withMongo(url, async (client) => {
    for (const name of databases) await client.db(name).dropDatabase();
  });
});

function newDatabase(): string {
  const name = databaseName('e2e');
  databases.push(name);
  return name;
}

async function start(database: string, env: Record<string, string> = {}) {
  const server = runServer({
    MONGO_URL: url,
    MONGO_DB: database,
    X_BEARER_TOKEN: api.token,
    X_API_BASE_URL: api.baseUrl,
    OPS_PORT: '0',
    BATCH_MAX_WAIT_MS: '20',
    ...env,
  });
  servers.push(server);
  const port = await waitForPort(server.stdout);
  /** A metric's value (the line with exactly these labels, `{...}` included), NaN when absent. */
  const metric = async (line: string) => {
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const value = metrics.split('\n').find((text) => text.startsWith(`${line} `));
    return Number(value?.slice(line.length + 1) ?? NaN);
  };
  const storedTotal = () => metric('streamer_tweets_stored_total{region="local"}');
  return { server, storedTotal, metric };
}

/** Stops the server with SIGTERM (a rollout) and returns how many posts it stored as new documents. */
async function stop({ server, storedTotal }: Awaited<ReturnType<typeof start>>): Promise<number> {
  const stored = await storedTotal();
  await server.stop();
  expect(await server.exited).toBe(0);
  return stored;
}

const storedIds = (database: string) =>
  withMongo(url, async (client) =>
    (
      await client
        .db(database)
        .collection('tweets')
        .find({}, { projection: { _id: 1 } })
        .toArray()
    ).map((doc) => String(doc._id)),
  );

/** Waits (bounded) until `n` posts are stored; what is missing then shows in the tally as lost. */
const hasStored = (database: string, n: number) =>
  waitFor(async () => (await storedIds(database)).length >= n, `${n} posts stored`, 10_000).catch(() => undefined);

/** Lost: published but not stored. Twice: more new documents written than distinct posts stored. */
async function tally(database: string, published: Post[], storedAsNew: number) {
  const ids = await storedIds(database);
  return {
    lost: published.filter((post) => !ids.includes(post.data.id)).length,
    twice: storedAsNew - new Set(ids).size,
    stored: ids.length,
  };
}

const searchRequests = () => api.requestsTo('/2/tweets/search/recent');

describe('the built streamer', () => {
  it('stores the post X sends after an operational-disconnect notice', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map((name) => streamMessage(`e2e notice ${name} #docker`));
    api.streamScripts.push(
      { steps: [frame(a!), OPERATIONAL_DISCONNECT, frame(b!)], ending: 'end' },
      { steps: [frame(c!)], ending: 'hang' },
    );
    const database = newDatabase();
    const running = await start(database);
    await hasStored(database, 3);
    const storedAsNew = await stop(running);

    expect(await tally(database, [a!, b!, c!], storedAsNew)).toEqual({ lost: 0, twice: 0, stored: 3 });
    expect(api.streamConnections).toBe(2);
  });

  it('fills a stream outage through recent search: posts published meanwhile are stored', async () => {
    const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((name) => streamMessage(`e2e outage ${name} #docker`));
    // c and d are published while the stream is down; e is both found by the search and streamed.
    const published = waitFor(() => searchRequests().length === 1, 'the gap fill at start')
      .catch(() => undefined)
      .then(() => api.searchPosts.push(a!, b!, c!, d!, e!));
    api.streamScripts.push(
      { steps: [frame(a!), frame(b!), published], ending: 'reset' },
      { steps: [frame(e!)], ending: 'hang' },
    );
    const database = newDatabase();
    const running = await start(database);
    await hasStored(database, 5);
    const storedAsNew = await stop(running);

    expect(await tally(database, [a!, b!, c!, d!, e!], storedAsNew)).toEqual({ lost: 0, twice: 0, stored: 5 });
    expect(searchRequests()[1]?.query.get('since_id')).toBe(b!.data.id);
  });

  it('loses nothing across a stream-mode restart (a rollout with strategy Recreate)', async () => {
    const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((name) => streamMessage(`e2e rollout ${name} #docker`));
    api.streamScripts.push({ steps: [frame(a!), frame(b!)], ending: 'hang' });
    const database = newDatabase();
    const first = await start(database);
    await hasStored(database, 2);
    const storedByFirst = await stop(first);

    // c and d are published between the two processes; e is streamed to the new one.
    api.searchPosts.push(a!, b!, c!, d!, e!);
    api.streamScripts.push({ steps: [frame(e!)], ending: 'hang' });
    const second = await start(database);
    await hasStored(database, 5);
    const storedBySecond = await stop(second);

    expect(await tally(database, [a!, b!, c!, d!, e!], storedByFirst + storedBySecond)).toEqual({
      lost: 0,
      twice: 0,
      stored: 5,
    });
    expect(searchRequests().at(-1)?.query.get('since_id')).toBe(b!.data.id);
  });

  it('loses nothing across a search-mode restart', async () => {
    const posts = Array.from({ length: 35 }, (_, i) => streamMessage(`e2e search ${i} #docker`));
    api.searchPosts.push(...posts.slice(0, 10));
    const database = newDatabase();
    const env = { STREAMER_SOURCE: 'search', SEARCH_INTERVAL_MS: '200' };
    const first = await start(database, env);
    await hasStored(database, 10);
    const storedByFirst = await stop(first);

    // 25 posts while no streamer runs: three pages of the fake's ten.
    api.searchPosts.push(...posts.slice(10));
    const second = await start(database, env);
    await hasStored(database, 35);
    const storedBySecond = await stop(second);

    expect(await tally(database, posts, storedByFirst + storedBySecond)).toEqual({ lost: 0, twice: 0, stored: 35 });
  });

  /** 10 posts stored, 10 published while ingest is down past X's window, then 20 published in it. */
  async function pastTheWindow(mode: 'search' | 'stream') {
    const posts = Array.from({ length: 40 }, (_, i) => streamMessage(`e2e long outage ${mode} ${i} #docker`));
    const database = newDatabase();
    const env = { STREAMER_SOURCE: mode, SEARCH_INTERVAL_MS: '200' };
    api.searchPosts.push(...posts.slice(0, 10));
    api.streamScripts.push({ steps: [], ending: 'hang' });
    const first = await start(database, env);
    await hasStored(database, 10);
    const storedByFirst = await stop(first);

    api.searchPosts.push(...posts.slice(10, 20));
    api.backdate(8 * 24 * 3600_000);
    api.searchPosts.push(...posts.slice(20));
    api.streamScripts.push({ steps: [], ending: 'hang' });
    // The first process polls with the same since_id while it is in the window: count only the second's.
    const firstRequests = searchRequests().length;
    const second = await start(database, env);
    await hasStored(database, 30);
    const unrecoverable = await second.metric(
      'streamer_gaps_unrecoverable_total{reason="beyond-window",region="local"}',
    );
    const storedBySecond = await stop(second);

    expect(await tally(database, posts, storedByFirst + storedBySecond)).toEqual({ lost: 10, twice: 0, stored: 30 });
    expect(await storedIds(database)).not.toContain(posts[15]!.data.id);
    expect(unrecoverable).toBe(1);
    // One refused since_id, then the window's start.
    const refused = searchRequests()
      .slice(firstRequests)
      .filter((request) => request.query.get('since_id') === posts[9]!.data.id);
    expect(refused).toHaveLength(1);
  }

  it('resumes search mode after an outage past the search window, counting what is lost', async () => {
    await pastTheWindow('search');
  });

  it('resumes stream mode after an outage past the search window, counting what is lost', async () => {
    await pastTheWindow('stream');
  });
});
