import { startDevDatabase, type DevDatabase } from '@kubeonazure/dev-db';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { promtoolFindings } from '@kubeonazure/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeTweets, startTestApp, type TestApp } from './support.js';

describe('health and metrics with the database up', () => {
  let t: TestApp;
  const seeded = makeTweets(3, 4000);

  beforeAll(async () => {
    t = await startTestApp(testMongoUrl());
    await t.repository.insertNew(seeded);
  });
  afterAll(() => t?.close());

  it('/healthz answers 200 with the newest tweet and its age', async () => {
    const response = await t.app.inject('/healthz');
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(Object.keys(body).sort()).toEqual(['newestTweetAgeSeconds', 'newestTweetAt', 'region', 'status']);
    expect(body).toMatchObject({ status: 'ok', region: 'uksouth', newestTweetAt: seeded[0]!.created_at.toISOString() });
    expect(body.newestTweetAgeSeconds).toBeGreaterThanOrEqual(3);
    expect(body.newestTweetAgeSeconds).toBeLessThan(60);
  });

  it('/healthz reports null times for an empty replica', async () => {
    const empty = await startTestApp(testMongoUrl());
    try {
      expect((await empty.app.inject('/healthz')).json()).toEqual({
        status: 'ok',
        region: 'uksouth',
        newestTweetAt: null,
        newestTweetAgeSeconds: null,
      });
    } finally {
      await empty.close();
    }
  });

  it('/livez and /readyz answer 200 on the ops port, not on the public one', async () => {
    const live = await t.ops.inject('/livez');
    expect(live.statusCode).toBe(200);
    expect(live.json()).toEqual({ status: 'ok' });
    const ready = await t.ops.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ok', database: true });
    expect((await t.app.inject('/livez')).statusCode).toBe(404);
    expect((await t.app.inject('/readyz')).statusCode).toBe(404);
  });

  it("/metrics has the request histogram by route, SSE clients and the poller's timestamps, region on each", async () => {
    const before = Date.now() / 1000;
    await t.app.inject('/');
    await t.app.feed.tick();
    const response = await t.ops.inject('/metrics');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    const body = response.body;
    expect(body).toMatch(
      /^http_request_duration_seconds_count\{region="uksouth",method="GET",route="\/",status_code="200"\} \d+$/m,
    );
    expect(body).toMatch(/^frontend_sse_clients\{region="uksouth"\} 0$/m);
    expect(body).toMatch(/^frontend_poll_errors_total\{region="uksouth"\} 0$/m);
    expect(sample(body, 'frontend_newest_tweet_timestamp_seconds')).toBe(seeded[0]!.created_at.getTime() / 1000);
    const lastSuccess = sample(body, 'frontend_poller_last_success_timestamp_seconds');
    expect(lastSuccess).toBeGreaterThanOrEqual(before);
    expect(lastSuccess).toBeLessThanOrEqual(Date.now() / 1000);
    expect(body).toMatch(/^process_resident_memory_bytes\{region="uksouth"\} \d+$/m);
  });

  it('/metrics passes promtool check metrics', async () => {
    expect(await promtoolFindings((await t.ops.inject('/metrics')).body)).toEqual([]);
  });
});

/** The value of a metric without labels of its own (the region only). */
function sample(metrics: string, name: string): number {
  return Number(new RegExp(`^${name}\\{region="uksouth"\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
}

describe('database outage', () => {
  let db: DevDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await startDevDatabase({ preferEnv: false });
    t = await startTestApp(db.url);
    await t.repository.insertNew(makeTweets(5));
    await t.app.ready();
  });
  afterAll(async () => {
    await t?.close().catch(() => undefined);
    await db?.stop();
  });

  it('answers 503 (friendly page, /healthz with a reason) while the database is down, and recovers by itself', async () => {
    expect((await t.app.inject('/')).statusCode).toBe(200);
    expect((await t.app.inject('/healthz')).statusCode).toBe(200);

    await db.pause();

    // The poller notices within a poll and stops serving its copy of the page.
    const page = await eventually(async () => {
      const response = await t.app.inject({ url: '/', headers: { accept: 'text/html' } });
      return response.statusCode === 503 ? response : undefined;
    });
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['retry-after']).toBe('10');
    expect(page.body).toContain('The tweets are taking a break');
    expect(page.body).toContain('London · UK South');
    expect(page.body).not.toMatch(/Mongo|stack|at .*\.[jt]s:\d+/);

    const health = await t.app.inject('/healthz');
    expect(health.statusCode).toBe(503);
    expect(health.json()).toEqual({
      status: 'unavailable',
      region: 'uksouth',
      reason: expect.stringMatching(/^database read (timed out|failed)/),
    });
    // Readiness says what /healthz says; liveness stays 200 (a database outage restarts nobody).
    const ready = await t.ops.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ status: 'unavailable', database: false });
    expect((await t.ops.inject('/livez')).statusCode).toBe(200);
    const api = await t.app.inject('/api/tweets');
    expect(api.statusCode).toBe(503);
    expect(api.json()).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });

    await db.restart();

    await eventually(async () => ((await t.app.inject('/healthz')).statusCode === 200 ? true : undefined), 60_000);
    expect((await t.ops.inject('/readyz')).statusCode).toBe(200);
    const recovered = await eventually(async () => {
      const response = await t.app.inject('/');
      return response.statusCode === 200 ? response : undefined;
    }, 30_000);
    expect([...recovered.body.matchAll(/<article class="tweet"/g)]).toHaveLength(5);
  }, 120_000);
});

describe('the public port', () => {
  it('does not serve /metrics: it is on the ops listener only', async () => {
    const t = await startTestApp(testMongoUrl());
    try {
      expect((await t.app.inject('/metrics')).statusCode).toBe(404);
      expect((await t.ops.inject('/metrics')).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});
