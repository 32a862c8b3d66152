import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { throttledError, WireFront } from '@kubeonazure/cosmos-wire-front';
import { encodeCursor } from '@kubeonazure/tweet-model';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeTweets, startTestApp, type TestApp } from './support.js';

// The frontend behind a wire front that throttles as Cosmos DB does (16500 with RetryAfterMs), on
// the real database.
let front: WireFront;
const seeded = makeTweets(45);
const cursor = (i: number) => encodeURIComponent(encodeCursor(seeded[i % 40]!));

beforeAll(async () => {
  front = await WireFront.start(testMongoUrl(), { record: true });
});
afterAll(() => front?.close());
afterEach(async () => {
  front.errors.rejectNext('find', 0);
  await front.clear();
});

/** The value of a metric without labels of its own (the region only). */
async function sample(t: TestApp, name: string): Promise<number> {
  const metrics = (await t.ops.inject('/metrics')).body;
  return Number(new RegExp(`^${name}\\{region="uksouth"\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
}

describe('a burst of public reads that drains the request units', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(front.url);
    await t.repository.insertNew(seeded);
    await t.app.ready();
    await eventually(() => t.app.feed.newestPage()?.[0]);
  });
  afterAll(() => t?.close());

  it('leaves the region healthy, serving its first page, and the poller reading', async () => {
    front.throttle(20);
    const until = Date.now() + 3000;
    // Eight hostile clients, each asking older pages nobody asked before (each one a query).
    const publicStatuses: number[] = [];
    let n = 0;
    const hostile = async () => {
      while (Date.now() < until) {
        const i = n++;
        const response = await t.app.inject({
          url: `/api/tweets?limit=${1 + (i % 100)}&before=${cursor(i)}`,
          remoteAddress: `10.1.${i % 250}.${1 + (i % 7)}`,
        });
        publicStatuses.push(response.statusCode);
        if (response.statusCode === 503) expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
        // A shed answer takes no I/O: let the process's I/O (the poller's reads) have its turn, as
        // clients on other machines would.
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const probes: number[] = [];
    const pages: number[] = [];
    const pollerReads = new Set<number>();
    const probe = async () => {
      while (Date.now() < until) {
        probes.push((await t.app.inject('/healthz')).statusCode);
        pages.push((await t.app.inject('/')).statusCode);
        pollerReads.add(await sample(t, 'frontend_poller_last_success_timestamp_seconds'));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const first = await sample(t, 'frontend_poller_last_success_timestamp_seconds');
    await Promise.all([...Array.from({ length: 8 }, hostile), probe()]);
    pollerReads.delete(first);

    expect(publicStatuses).toContain(503); // the budget was spent: public reads were shed
    expect(new Set(probes)).toEqual(new Set([200]));
    expect(new Set(pages)).toEqual(new Set([200]));
    // The poller kept getting reads through the 3 s burst (the budget allows one or two a second).
    expect(pollerReads.size).toBeGreaterThanOrEqual(2);
  });
});

describe('/healthz while every read is throttled', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(front.url, { config: { maxThrottledPageAgeMs: 2000 } });
    await t.repository.insertNew(seeded);
    await t.app.ready();
    await eventually(() => t.app.feed.newestPage()?.[0]);
  });
  afterAll(() => t?.close());

  it('answers 200 "throttled" while the cached page is young enough, then 503, and 200 again after', async () => {
    front.errors.rejectNext('find', Infinity, throttledError(50));
    const throttled = await eventually(async () => {
      const response = await t.app.inject('/healthz');
      return response.json().status === 'throttled' ? response : undefined;
    });
    expect(throttled.statusCode).toBe(200);
    expect(throttled.json()).toMatchObject({ region: 'uksouth', newestTweetAt: seeded[0]!.created_at.toISOString() });
    expect((await t.app.inject('/')).statusCode).toBe(200);
    expect((await t.app.inject('/api/tweets')).statusCode).toBe(200);

    const stale = await eventually(async () => {
      const response = await t.app.inject('/healthz');
      return response.statusCode === 503 ? response : undefined;
    });
    expect(stale.json()).toMatchObject({ status: 'unavailable', reason: expect.stringContaining('throttled') });
    // The page goes with the poller's next throttled read.
    await eventually(async () => ((await t.app.inject('/')).statusCode === 503 ? true : undefined));

    front.errors.rejectNext('find', 0);
    await eventually(async () => ((await t.app.inject('/healthz')).json().status === 'ok' ? true : undefined));
  });

  it('answers 503 within seconds when the database stops answering, throttled or not', async () => {
    // A bound far beyond the test: only the lost database can take the region out.
    const patient = await startTestApp(front.url, { config: { maxThrottledPageAgeMs: 600_000 } });
    try {
      await patient.repository.insertNew(seeded);
      await patient.app.ready();
      await eventually(() => patient.app.feed.newestPage()?.[0]);
      front.errors.rejectNext('find', Infinity, throttledError(50));
      await eventually(async () =>
        (await patient.app.inject('/healthz')).json().status === 'throttled' ? true : undefined,
      );
      await front.refuse();
      const down = await eventually(async () => {
        const response = await patient.app.inject('/healthz');
        return response.statusCode === 503 ? response : undefined;
      }, 8000);
      expect(down.json()).toMatchObject({ status: 'unavailable', reason: expect.not.stringContaining('throttled') });
    } finally {
      await front.clear();
      await patient.close();
    }
  });
});
