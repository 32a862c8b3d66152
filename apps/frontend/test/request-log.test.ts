import { startDevDatabase, type DevDatabase } from '@kubeonazure/dev-db';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { createLogger } from '@kubeonazure/service-kit';
import { encodeCursor } from '@kubeonazure/tweet-model';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventReader } from './sse.js';
import { eventually, makeTweets, startTestApp, type TestApp } from './support.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface LogLine {
  level: number;
  msg: string;
  reqId?: string;
  method?: string;
  path?: string;
  statusCode?: number;
  durationMs?: number;
}

/** The frontend with the service kit's logger writing into `lines`, as in production but in memory. */
async function startLogged(url: string, slowRequestMs: number): Promise<{ t: TestApp; lines: LogLine[] }> {
  const lines: LogLine[] = [];
  const logger = createLogger(
    { service: 'frontend', region: 'uksouth', level: 'info' },
    { write: (line: string) => lines.push(JSON.parse(line) as LogLine) },
  );
  const t = await startTestApp(url, { logger, config: { slowRequestMs } });
  await t.repository.insertNew(makeTweets(3));
  await t.app.ready();
  return { t, lines };
}

const requestLines = (lines: LogLine[]) => lines.filter((line) => line.reqId !== undefined);

describe('request ids and request logs, the database up', () => {
  const started: TestApp[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((t) => t.close()));
  });

  it('echoes a safe incoming x-request-id, replaces an unsafe one, and logs nothing for a fast answer', async () => {
    const { t, lines } = await startLogged(testMongoUrl(), 60_000);
    started.push(t);
    const kept = await t.app.inject({ url: '/api/tweets', headers: { 'x-request-id': 'edge-42.a' } });
    expect([kept.statusCode, kept.headers['x-request-id']]).toEqual([200, 'edge-42.a']);
    const replaced = await t.app.inject({ url: '/', headers: { 'x-request-id': 'bad id\u0007' } });
    expect(replaced.headers['x-request-id']).toMatch(UUID);
    const missing = await t.app.inject('/nowhere');
    expect([missing.statusCode, missing.headers['x-request-id']]).toEqual([404, expect.stringMatching(UUID)]);
    expect(requestLines(lines)).toEqual([]);
  });

  it('logs a request slower than SLOW_REQUEST_MS at warn, with id, method, path (no query), status, duration', async () => {
    // Every /api/tweets reads the database, which takes more than a millisecond.
    const { t, lines } = await startLogged(testMongoUrl(), 1);
    started.push(t);
    const response = await t.app.inject({ url: '/api/tweets?limit=2', headers: { 'x-request-id': 'slow-1' } });
    expect(response.statusCode).toBe(200);
    const line = requestLines(lines).find((entry) => entry.reqId === 'slow-1');
    expect(line).toMatchObject({
      level: 40,
      msg: 'slow request',
      method: 'GET',
      path: '/api/tweets',
      statusCode: 200,
    });
    expect(line!.durationMs).toBeGreaterThanOrEqual(1);
  });

  it('never counts an event stream as slow, however long it stays open', async () => {
    const { t, lines } = await startLogged(testMongoUrl(), 50);
    started.push(t);
    const origin = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const controller = new AbortController();
    const response = await fetch(`${origin}/events`, {
      signal: controller.signal,
      headers: { 'x-request-id': 'stream-1' },
    });
    expect([response.status, response.headers.get('x-request-id')]).toEqual([200, 'stream-1']);
    const reader = new EventReader(response.body!);
    expect(await reader.next()).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 200));
    controller.abort();
    await eventually(() =>
      (t.app.metrics.sseClients.get() as unknown as Promise<{ values: { value: number }[] }>).then((metric) =>
        metric.values[0]?.value === 0 ? true : undefined,
      ),
    );
    expect(requestLines(lines)).toEqual([]);
  });
});

describe('request logs, the database down', () => {
  let db: DevDatabase;
  let t: TestApp;
  let lines: LogLine[];

  beforeAll(async () => {
    db = await startDevDatabase({ preferEnv: false });
    ({ t, lines } = await startLogged(db.url, 60_000));
  });
  afterAll(async () => {
    await t?.close().catch(() => undefined);
    await db?.stop();
  });

  it('logs every answer of 500 or more with its request id, method, path, status and duration', async () => {
    await db.pause();
    // An older page: a query of its own (the first page is the poller's copy).
    const before = encodeURIComponent(encodeCursor(makeTweets(1)[0]!));
    const response = await t.app.inject({
      url: `/api/tweets?limit=5&before=${before}`,
      headers: { 'x-request-id': 'down-1' },
    });
    expect(response.statusCode).toBe(503);
    expect(response.headers['x-request-id']).toBe('down-1');
    const line = requestLines(lines).find((entry) => entry.reqId === 'down-1' && entry.statusCode !== undefined);
    expect(line).toMatchObject({
      level: 40,
      msg: 'request answered 503',
      method: 'GET',
      path: '/api/tweets',
      statusCode: 503,
    });
    expect(line!.durationMs).toBeGreaterThanOrEqual(0);
  }, 60_000);
});
