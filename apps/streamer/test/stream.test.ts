import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { mapXSearchPage, TweetRepository } from '@kubeonazure/tweet-model';
import { startApp, type App } from '../src/app.js';
import {
  FakeXApi,
  frame,
  KEEP_ALIVE,
  OPERATIONAL_DISCONNECT,
  SERVICE_UNAVAILABLE,
  TOO_MANY_CONNECTIONS,
  type Post,
  type StreamScript,
} from '@kubeonazure/fake-x-api';
import {
  captureLogger,
  databaseName,
  metric,
  recordingSleep,
  streamMessage,
  testConfig,
  waitFor,
  withMongo,
} from './helpers.js';

const url = testMongoUrl();
const databases: string[] = [];
let api: FakeXApi;
let app: App | undefined;

beforeEach(async () => {
  api = await FakeXApi.start();
});

afterEach(async () => {
  await app?.stop(5_000);
  app = undefined;
  await api.close();
});

afterAll(async () => {
  await withMongo(url, async (client) => {
    for (const name of databases) await client.db(name).dropDatabase();
  });
});

/** Starts the app streaming from the fake X API, on a database of its own holding `storedBefore` already. */
async function startStreaming(env: Record<string, string> = {}, storedBefore: Post[] = []) {
  const database = databaseName('stream');
  databases.push(database);
  if (storedBefore.length > 0) {
    await withMongo(url, (client) =>
      TweetRepository.fromClient(client, { database }).insertNew(
        storedBefore.flatMap((post) => mapXSearchPage({ data: [post.data], includes: post.includes }).tweets),
      ),
    );
  }
  const { logger, lines } = captureLogger();
  const clock = recordingSleep();
  const config = testConfig(url, database, {
    X_BEARER_TOKEN: api.token,
    X_API_BASE_URL: api.baseUrl,
    BATCH_MAX_WAIT_MS: '20',
    ...env,
  });
  app = await startApp(config, { logger, sleep: clock.sleep });
  const started = app;
  const storedTexts = () =>
    withMongo(url, async (client) => {
      const docs = await client.db(database).collection('tweets').find().sort({ _id: 1 }).toArray();
      return docs.map((doc) => doc.text as string);
    });
  const stored = (n: number) =>
    waitFor(async () => (await metric(started, 'streamer_tweets_stored_total')) >= n, `${n} stored`);
  return { app: started, database, lines, delays: clock.delays, storedTexts, stored };
}

describe('stream rules', () => {
  it('adds missing rules, deletes unconfigured ones and keeps the rest, tagged', async () => {
    api.rules.set('1', { id: '1', value: 'docker', tag: 'docker' });
    api.rules.set('2', { id: '2', value: 'moby', tag: 'moby' });
    const { lines } = await startStreaming({ TRACK: 'docker,kubernetes' });
    await waitFor(() => api.streamConnections === 1, 'the stream connection');

    expect([...api.rules.values()].map(({ id, value, tag }) => ({ id, value, tag }))).toEqual([
      { id: '1', value: 'docker', tag: 'docker' },
      { id: '1000', value: 'kubernetes', tag: 'kubernetes' },
    ]);
    const changes = api.requestsTo('/2/tweets/search/stream/rules').filter((request) => request.method === 'POST');
    expect(changes.map((request) => request.body)).toEqual([
      { delete: { ids: ['2'] } },
      { add: [{ value: 'kubernetes', tag: 'kubernetes' }] },
    ]);
    expect(lines().find((line) => line.msg === 'stream rules synced')).toMatchObject({
      added: ['kubernetes'],
      deleted: ['moby'],
      kept: 1,
    });

    const [connect] = api.requestsTo('/2/tweets/search/stream');
    expect(Object.fromEntries(connect?.query ?? [])).toEqual({
      expansions: 'author_id',
      'user.fields': 'username,name,profile_image_url',
      'tweet.fields': 'created_at,lang,public_metrics,entities,note_tweet,referenced_tweets',
    });
  });
});

describe('stopping', () => {
  it('does not connect when stopped during the rule sync', async () => {
    const { app: running } = await startStreaming();
    // The rules request is on its way: stop before X answers it.
    await running.stop(5_000);
    app = undefined;
    await delay(300);
    expect(api.requestsTo('/2/tweets/search/stream/rules').length).toBeGreaterThan(0);
    expect(api.streamConnections).toBe(0);
  });
});

describe('stream wire format', () => {
  it('reads CRLF-delimited messages across keep-alives and chunk boundaries, skipping a malformed line', async () => {
    const whole = streamMessage('before #docker');
    const split = streamMessage('whale 🐳 split across chunks #docker');
    const after = streamMessage('after #docker');
    const splitBytes = Buffer.from(frame(split));
    // Cut inside the four bytes of the whale emoji.
    const cut = splitBytes.indexOf(Buffer.from('🐳')) + 2;
    api.streamScripts.push({
      steps: [
        KEEP_ALIVE,
        frame(whole),
        KEEP_ALIVE,
        splitBytes.subarray(0, cut),
        splitBytes.subarray(cut),
        'this is not json\r\n',
        KEEP_ALIVE,
        frame(after),
      ],
      ending: 'hang',
    });
    const { app, storedTexts, stored, lines } = await startStreaming();
    await stored(3);

    expect((await storedTexts()).sort()).toEqual([
      'after #docker',
      'before #docker',
      'whale 🐳 split across chunks #docker',
    ]);
    expect(await metric(app, 'streamer_messages_malformed_total')).toBe(1);
    expect(await metric(app, 'streamer_tweets_received_total')).toBe(3);
    expect(lines().find((line) => line.msg === 'malformed message skipped')?.err).toMatchObject({
      message: expect.stringContaining('not valid JSON'),
    });
  });

  it('stores each post once when a reconnect replays what the dropped connection sent', async () => {
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => streamMessage(`post ${name} #docker`));
    const cFrame = frame(c!);
    api.streamScripts.push(
      // The connection drops in the middle of c.
      { steps: [frame(a!), frame(b!), cFrame.slice(0, 40)], ending: 'reset' },
      { steps: [frame(b!), cFrame, frame(d!)], ending: 'hang' },
    );
    const { app, storedTexts } = await startStreaming();
    await waitFor(
      async () =>
        (await metric(app, 'streamer_tweets_stored_total')) + (await metric(app, 'streamer_tweets_duplicates_total')) >=
        5,
      'all deliveries written',
    );

    expect(await storedTexts()).toEqual(['post a #docker', 'post b #docker', 'post c #docker', 'post d #docker']);
    expect(await metric(app, 'streamer_tweets_duplicates_total')).toBe(1);
    expect(await metric(app, 'streamer_messages_malformed_total')).toBe(0);
    expect(await metric(app, 'streamer_reconnects_total', { reason: 'network' })).toBe(1);
  });
});

describe('operational disconnect', () => {
  it('stores what X wrote on the connection after the notice, then reconnects', async () => {
    const [before, after] = ['before', 'after'].map((name) => streamMessage(`${name} the notice #docker`));
    api.streamScripts.push(
      { steps: [frame(before!), OPERATIONAL_DISCONNECT, frame(after!)], ending: 'end' },
      { steps: [KEEP_ALIVE], ending: 'hang' },
    );
    const { app: running, storedTexts } = await startStreaming();
    await waitFor(() => api.streamConnections === 2, 'the reconnect');
    await running.stop(5_000);
    app = undefined;

    expect(await storedTexts()).toEqual(['before the notice #docker', 'after the notice #docker']);
    expect(await metric(running, 'streamer_reconnects_total', { reason: 'operational-disconnect' })).toBe(1);
  });
});

describe('gap fill', () => {
  const searchRequests = () => api.requestsTo('/2/tweets/search/recent');

  it('stores, through recent search, what X published while the stream was down, each post once', async () => {
    const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((name) => streamMessage(`gap ${name} #docker`));
    // c and d are published during the outage; e is both found by the search and streamed afterwards.
    const published = (async () => {
      await waitFor(() => searchRequests().length === 1, 'the gap fill at start');
      api.searchPosts.push(a!, b!, c!, d!, e!);
    })();
    api.streamScripts.push(
      { steps: [frame(a!), frame(b!), published], ending: 'reset' },
      { steps: [frame(e!)], ending: 'hang' },
    );
    const { app: running, storedTexts } = await startStreaming({ TRACK: 'docker,docker compose' });
    await waitFor(() => searchRequests().length === 2, 'the gap fill after the reconnect');
    await running.stop(5_000);
    app = undefined;

    expect(await storedTexts()).toEqual([
      'gap a #docker',
      'gap b #docker',
      'gap c #docker',
      'gap d #docker',
      'gap e #docker',
    ]);
    const [atStart, afterReconnect] = searchRequests();
    expect(atStart?.query.get('since_id')).toBeNull();
    expect(afterReconnect?.query.get('since_id')).toBe(b!.data.id);
    expect(afterReconnect?.query.get('query')).toBe('docker OR (docker compose)');
    expect(afterReconnect?.query.get('expansions')).toBe('author_id');
    expect(await metric(running, 'streamer_gap_fill_posts_total')).toBe(3);
    expect(await metric(running, 'streamer_gap_fills_total', { result: 'complete' })).toBe(2);
  });

  it('starts from the newest stored post and takes at most GAP_FILL_MAX_POSTS per gap, the newest', async () => {
    const stored = streamMessage('stored before the start #docker');
    const gap = [1, 2, 3, 4, 5].map((n) => streamMessage(`missed ${n} #docker`));
    api.searchPosts.push(stored, ...gap);
    api.searchPageSize = 2;
    api.streamScripts.push({ steps: [KEEP_ALIVE], ending: 'hang' });
    const { app: running, database, lines } = await startStreaming({ GAP_FILL_MAX_POSTS: '3' }, [stored]);
    await waitFor(
      async () => (await metric(running, 'streamer_gap_fills_total', { result: 'truncated' })) === 1,
      'the gap fill',
    );
    await running.stop(5_000);
    app = undefined;

    expect(searchRequests().map(({ query }) => [query.get('since_id'), query.get('next_token')])).toEqual([
      [stored.data.id, null],
      [stored.data.id, 'page-2'],
    ]);
    const texts = await withMongo(url, (client) => client.db(database).collection('tweets').distinct('text'));
    expect(texts.sort()).toEqual([
      'missed 3 #docker',
      'missed 4 #docker',
      'missed 5 #docker',
      'stored before the start #docker',
    ]);
    expect(await metric(running, 'streamer_gap_fill_posts_total')).toBe(3);
    expect(
      lines().find((line) => line.msg === 'gap fill stopped at GAP_FILL_MAX_POSTS; older posts of the gap are lost'),
    ).toMatchObject({
      level: 40,
      sinceId: stored.data.id,
      posts: 3,
    });
  });

  it('retries a failed fill once; one that fails again is counted lost and later fills start from their own gap', async () => {
    const streamed = streamMessage('streamed #docker');
    api.searchPosts.push(streamed);
    // The fill at start and its retry meet an exhausted rate-limit window (429); then it resets.
    api.searchRemaining = 0;
    const windowReset = waitFor(() => api.searchTooManyRequests === 2, 'the 429 of the retry').then(
      () => (api.searchRemaining = 450),
    );
    api.streamScripts.push(
      { steps: [windowReset, frame(streamed)], ending: 'reset' },
      { steps: [KEEP_ALIVE], ending: 'hang' },
    );
    const { app: running, lines } = await startStreaming();
    await waitFor(() => searchRequests().length === 3, 'the gap fill after the reconnect');
    await waitFor(
      async () => (await metric(running, 'streamer_gap_fills_total', { result: 'complete' })) === 1,
      'the fill after the reconnect',
    );
    await running.stop(5_000);
    app = undefined;

    expect(searchRequests().map(({ query }) => query.get('since_id'))).toEqual([null, null, streamed.data.id]);
    expect(await metric(running, 'streamer_gap_fills_total', { result: 'failed' })).toBe(1);
    expect(await metric(running, 'streamer_gaps_unrecoverable_total', { reason: 'fill-failed' })).toBe(1);
    expect(lines().filter((line) => line.msg === 'gap fill failed again; the posts of the gap are lost')).toMatchObject(
      [{ level: 40 }],
    );
  });

  it('fills from the window start when X refuses the since_id as too old, counting the loss', async () => {
    const old = streamMessage('stored nine days ago #docker');
    api.searchPosts.push(old);
    api.backdate(9 * 24 * 3600_000);
    const recent = [1, 2, 3].map((n) => streamMessage(`published in the window ${n} #docker`));
    api.searchPosts.push(...recent);
    api.streamScripts.push({ steps: [KEEP_ALIVE], ending: 'hang' });
    const { app: running } = await startStreaming({}, [old]);
    await waitFor(
      async () => (await metric(running, 'streamer_gap_fills_total', { result: 'complete' })) === 1,
      'the gap fill',
    );
    await waitFor(async () => (await metric(running, 'streamer_tweets_stored_total')) === 3, 'the window stored');
    await running.stop(5_000);
    app = undefined;

    expect(searchRequests().map(({ query }) => [query.get('since_id'), query.get('start_time') !== null])).toEqual([
      [old.data.id, false],
      [null, true],
    ]);
    expect(await metric(running, 'streamer_gaps_unrecoverable_total', { reason: 'beyond-window' })).toBe(1);
  });

  it('asks X for backfill_minutes when configured', async () => {
    api.streamScripts.push({ steps: [KEEP_ALIVE], ending: 'hang' });
    await startStreaming({ STREAM_BACKFILL_MINUTES: '2' });
    await waitFor(() => api.streamConnections === 1, 'the stream connection');
    expect(api.requestsTo('/2/tweets/search/stream')[0]?.query.get('backfill_minutes')).toBe('2');
  });
});

describe('stream reconnects', () => {
  it('follows the reconnect policy for every kind of disconnect', async () => {
    const scripts: StreamScript[] = [
      { steps: [frame(streamMessage('one #docker'))], ending: 'reset' }, // healthy, then a network drop: at once
      { refuse: true }, // the reconnect fails at the TCP level: +250 ms
      SERVICE_UNAVAILABLE, // HTTP error: 5 s
      SERVICE_UNAVAILABLE, // again: 10 s
      TOO_MANY_CONNECTIONS, // 429 after the source was connected: 60 s
      TOO_MANY_CONNECTIONS, // again: 120 s
      { steps: [frame(streamMessage('two #docker')), OPERATIONAL_DISCONNECT], ending: 'hang' }, // data, then X says goodbye: at once
      { steps: [KEEP_ALIVE], ending: 'hang' }, // a keep-alive, then silence past the stall timeout: at once
      { steps: [], ending: 'end' }, // accepted, then closed without a byte: +250 ms
      { silent: true }, // no response headers within the stall timeout: +250 ms more
      { steps: [KEEP_ALIVE], ending: 'hang' },
    ];
    api.streamScripts.push(...scripts);
    const { app, delays, lines } = await startStreaming({ STREAM_STALL_TIMEOUT_MS: '500' });
    await waitFor(() => delays.length >= 10, 'ten reconnects');

    expect(delays.slice(0, 10)).toEqual([0, 250, 5_000, 10_000, 60_000, 120_000, 0, 0, 250, 500]);
    const reconnects = async (reason: string) => metric(app, 'streamer_reconnects_total', { reason });
    expect(await reconnects('network')).toBeGreaterThanOrEqual(3);
    expect(await reconnects('http')).toBe(2);
    expect(await reconnects('too-many-connections')).toBe(2);
    expect(await reconnects('operational-disconnect')).toBe(1);
    expect(await reconnects('stall')).toBeGreaterThanOrEqual(2);
    expect(await metric(app, 'streamer_tweets_stored_total')).toBe(2);
    expect(lines().filter((line) => line.msg === 'X sent an error message in the stream')).toHaveLength(1);
    expect(
      lines()
        .filter((line) => line.msg === 'stream disconnected; reconnecting')
        .slice(0, 3),
    ).toMatchObject([
      { reason: 'network', delayMs: 0 },
      { reason: 'network', delayMs: 250 },
      { reason: 'http', delayMs: 5_000 },
    ]);
  });
});
