import { request } from 'node:http';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { encodeCursor } from '@kubeonazure/tweet-model';
import { WireFront } from '@kubeonazure/cosmos-wire-front';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventReader } from './sse.js';
import { eventually, makeTweets, startTestApp, type TestApp } from './support.js';

// What reaches the database, seen by a wire front in front of the real one.
let front: WireFront;
const finds = () => front.commands('find');
const seeded = makeTweets(45);

beforeAll(async () => {
  front = await WireFront.start(testMongoUrl(), { record: true });
});
afterAll(() => front?.close());

async function findsDuring(action: () => Promise<unknown>): Promise<number> {
  const before = finds().length;
  await action();
  return finds().length - before;
}

describe('reads', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(front.url, { config: { readTimeoutMs: 1500 } });
    await t.repository.insertNew(seeded);
    await t.app.ready();
    await eventually(() => t.app.feed.newestPage()?.[0]);
  });
  afterAll(() => t?.close());

  it('every read tells the server its deadline (maxTimeMS = READ_TIMEOUT_MS)', async () => {
    const before = finds().length;
    const older = encodeURIComponent(encodeCursor(seeded[19]!));
    for (const url of [
      '/',
      `/?before=${older}`,
      `/api/tweets?limit=5&before=${encodeURIComponent(encodeCursor(seeded[3]!))}`,
    ]) {
      expect((await t.app.inject(url)).statusCode).toBe(200);
    }
    await eventually(() => (finds().length > before + 3 ? true : undefined));
    for (const find of finds().slice(before)) {
      expect(find.maxTimeMS, JSON.stringify(find.filter)).toBe(1500);
    }
  });
});

describe('/healthz', () => {
  let t: TestApp;
  beforeAll(async () => {
    // The poller reads once at start and then not for a minute: whatever /healthz read would show.
    t = await startTestApp(front.url, { config: { pollIntervalMs: 60_000 } });
    await t.repository.insertNew(seeded);
  });
  afterAll(() => t?.close());

  it("answers from the poller's last read: probes cost no query of their own", async () => {
    expect((await t.app.inject('/healthz')).statusCode).toBe(200);
    const queries = await findsDuring(async () => {
      const answers = await Promise.all(Array.from({ length: 50 }, () => t.app.inject('/healthz')));
      expect(answers.map((answer) => answer.statusCode)).toEqual(Array(50).fill(200));
      expect(answers[0]!.json()).toMatchObject({ status: 'ok', newestTweetAt: seeded[0]!.created_at.toISOString() });
    });
    expect(queries).toBe(0);
  });
});

describe('public reads served from the poller or coalesced', () => {
  let t: TestApp;
  let origin: string;
  beforeAll(async () => {
    // The poller reads once at start and then not for a minute: every later find is a request's. The
    // streams of one test may still be closing when the next opens its own, all from 127.0.0.1.
    t = await startTestApp(front.url, {
      config: { pollIntervalMs: 60_000, maxStreams: 1000, maxStreamsPerClient: 1000 },
    });
    await t.repository.insertNew(seeded);
    origin = await t.app.listen({ host: '127.0.0.1', port: 0 });
    await eventually(() => t.app.feed.newestPage()?.[0]);
  });
  afterAll(() => t?.close());

  /** Opens `/events?since=`, returns the ids of the tweets it resumes with (it has `count`), then closes it. */
  async function resume(since: string, count: number): Promise<string[]> {
    const response = await fetch(`${origin}/events?since=${encodeURIComponent(since)}`);
    expect(response.status).toBe(200);
    const events = new EventReader(response.body!);
    const ids: string[] = [];
    while (ids.length < count) ids.push((await events.nextOf('tweet'))!.id!);
    await events.cancel();
    return ids;
  }

  it("/api/tweets without before is the poller's page: 50 requests, no query", async () => {
    const queries = await findsDuring(async () => {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => t.app.inject(i % 2 ? '/api/tweets' : '/api/tweets?limit=5')),
      );
      expect(answers[1]!.json().tweets.map((tweet: { id: string }) => tweet.id)).toEqual(
        seeded.slice(0, 20).map((tweet) => tweet._id),
      );
      expect(answers[1]!.json().nextCursor).toBe(encodeCursor(seeded[19]!));
      expect(answers[0]!.json().tweets).toHaveLength(5);
      expect(answers[0]!.json().nextCursor).toBe(encodeCursor(seeded[4]!));
    });
    expect(queries).toBe(0);
  });

  it("a first page longer than the poller's costs one shared query for the rest", async () => {
    front.delay(300);
    try {
      const queries = await findsDuring(async () => {
        const answers = await Promise.all(Array.from({ length: 30 }, () => t.app.inject('/api/tweets?limit=30')));
        const page = answers[0]!.json();
        expect(page.tweets.map((tweet: { id: string }) => tweet.id)).toEqual(seeded.slice(0, 30).map((x) => x._id));
        expect(page.nextCursor).toBe(encodeCursor(seeded[29]!));
      });
      expect(queries).toBe(1);
    } finally {
      front.delay(0);
    }
  });

  it("resumes from a cursor on the poller's page cost no query", async () => {
    const queries = await findsDuring(async () => {
      const resumed = await Promise.all(Array.from({ length: 30 }, () => resume(encodeCursor(seeded[5]!), 5)));
      // Oldest first: the browser prepends each one.
      expect(resumed[0]).toEqual(
        seeded
          .slice(0, 5)
          .map((tweet) => encodeCursor(tweet))
          .toReversed(),
      );
    });
    expect(queries).toBe(0);
  });

  it('resumes from below the page: one query per distinct cursor, however many ask', async () => {
    front.delay(300);
    try {
      const queries = await findsDuring(async () => {
        const resumed = await Promise.all(
          Array.from({ length: 40 }, (_, i) => resume(encodeCursor(seeded[i % 2 ? 30 : 35]!), i % 2 ? 30 : 35)),
        );
        expect(resumed[1]).toEqual(
          seeded
            .slice(0, 30)
            .map((tweet) => encodeCursor(tweet))
            .toReversed(),
        );
        expect(resumed[0]).toEqual(
          seeded
            .slice(0, 35)
            .map((tweet) => encodeCursor(tweet))
            .toReversed(),
        );
      });
      expect(queries).toBe(2);
    } finally {
      front.delay(0);
    }
  });
});

describe('older pages', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(front.url, { config: { pollIntervalMs: 60_000, rateLimitPerMinute: 30 } });
    await t.repository.insertNew(seeded);
    await t.app.inject('/');
  });
  afterAll(() => t?.close());

  it('are cached briefly by cursor: the same page asked 20 times is one query', async () => {
    const url = `/?before=${encodeURIComponent(encodeCursor(seeded[19]!))}`;
    const queries = await findsDuring(async () => {
      const pages = await Promise.all(
        Array.from({ length: 20 }, (_, i) => t.app.inject({ url, remoteAddress: `10.0.0.${i + 1}` })),
      );
      expect(new Set(pages.map((page) => page.statusCode))).toEqual(new Set([200]));
      expect([...pages[0]!.body.matchAll(/<article class="tweet"/g)]).toHaveLength(20);
    });
    expect(queries).toBe(1);
  });

  it('are rate limited per client address; the newest page is not', async () => {
    const statuses = [];
    for (let i = 0; i < 31; i += 1) {
      const url = `/?before=${encodeURIComponent(encodeCursor(seeded[i]!))}`;
      statuses.push((await t.app.inject({ url, remoteAddress: '192.0.2.7' })).statusCode);
    }
    expect(statuses.slice(0, 30)).toEqual(Array(30).fill(200));
    expect(statuses[30]).toBe(429);
    expect(
      (
        await t.app.inject({
          url: `/?before=${encodeURIComponent(encodeCursor(seeded[0]!))}`,
          remoteAddress: '192.0.2.8',
        })
      ).statusCode,
    ).toBe(200);
    for (let i = 0; i < 40; i += 1)
      expect((await t.app.inject({ url: '/', remoteAddress: '192.0.2.7' })).statusCode).toBe(200);
  });
});

describe('event streams', () => {
  let t: TestApp;
  let port: number;
  const open: (() => void)[] = [];
  beforeAll(async () => {
    t = await startTestApp(front.url, { config: { maxStreams: 3, maxStreamsPerClient: 2, streamMaxAgeMs: 1000 } });
    port = Number(new URL(await t.app.listen({ host: '127.0.0.1', port: 0 })).port);
  });
  afterAll(async () => {
    for (const close of open) close();
    await t?.close();
  });

  /** GET /events from a loopback source address of our choosing (the server sees it as the client's). */
  function stream(from: string): Promise<{ status: number; retryAfter: string | undefined; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/events', localAddress: from, agent: false }, (res) => {
        open.push(() => res.destroy());
        if (res.statusCode !== 200) {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'], body }));
          return;
        }
        res.once('data', () => resolve({ status: 200, retryAfter: undefined, body: '' }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('are capped per client address and per pod, beyond with 503 and Retry-After', async () => {
    expect((await stream('127.0.0.1')).status).toBe(200);
    expect((await stream('127.0.0.1')).status).toBe(200);
    const perClient = await stream('127.0.0.1');
    expect(perClient).toMatchObject({ status: 503, retryAfter: '30' });
    expect(JSON.parse(perClient.body)).toMatchObject({
      statusCode: 503,
      message: 'Too many open event streams; try again later.',
    });
    expect((await stream('127.0.0.2')).status).toBe(200);
    expect(await stream('127.0.0.3')).toMatchObject({ status: 503, retryAfter: '30' });
    const metrics = (await t.ops.inject('/metrics')).body;
    expect(metrics).toMatch(/^frontend_sse_rejected_total\{region="uksouth"\} 2$/m);
    for (const close of open.splice(0)) close();
    await eventually(async () =>
      /^frontend_sse_clients\{region="uksouth"\} 0$/m.test((await t.ops.inject('/metrics')).body) ? true : undefined,
    );
    expect((await stream('127.0.0.3')).status).toBe(200);
  });

  it('end after their maximum age, so clients reconnect (and spread over new pods)', async () => {
    for (const close of open.splice(0)) close();
    await eventually(async () =>
      /^frontend_sse_clients\{region="uksouth"\} 0$/m.test((await t.ops.inject('/metrics')).body) ? true : undefined,
    );
    const response = await fetch(`http://127.0.0.1:${port}/events`);
    const events = new EventReader(response.body!);
    expect(await events.next()).toEqual({ retry: '3000' });
    expect(await events.next()).toBeNull();
  });
});
