import { connect as connectTcp } from 'node:net';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { encodeCursor } from '@kubeonazure/tweet-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventReader } from './sse.js';
import { eventually, makeTweet, makeTweets, startTestApp, type TestApp } from './support.js';

let t: TestApp;
let origin: string;
const seeded = makeTweets(3);
const streams: EventReader[] = [];

beforeAll(async () => {
  t = await startTestApp(testMongoUrl(), { heartbeatMs: 300 });
  await t.repository.insertNew(seeded);
  origin = await t.app.listen({ host: '127.0.0.1', port: 0 });
  // Let the poller take its first look, so it is watching for tweets newer than the seeded ones.
  await eventually(() => t.app.feed.newestPage()?.[0]);
});
afterAll(async () => {
  await Promise.all(streams.map((stream) => stream.cancel().catch(() => undefined)));
  await t?.close();
});

async function open(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${origin}${path}`, { headers });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  const stream = new EventReader(response.body!);
  streams.push(stream);
  return stream;
}

function sseClients(): Promise<string> {
  return t.ops
    .inject('/metrics')
    .then((response) => /^frontend_sse_clients\{region="uksouth"\} (\d+)$/m.exec(response.body)?.[1] ?? '');
}

describe('GET /events', () => {
  it('pushes a newly inserted tweet to every client, as an escaped card with its cursor as the event id', async () => {
    const [a, b] = [await open('/events'), await open('/events')];
    expect(await a.next()).toEqual({ retry: '3000' });
    await eventually(async () => ((await sseClients()) === '2' ? true : undefined));

    const tweet = makeTweet({ text: 'Live from the poller <script>alert(1)</script>', created_at: new Date() });
    await t.repository.insertNew([tweet]);

    for (const stream of [a, b]) {
      const event = await stream.nextOf('tweet');
      expect(event?.id).toBe(encodeCursor(tweet));
      const data = JSON.parse(event!.data!);
      expect(data.createdAt).toBe(tweet.created_at.toISOString());
      expect(data.html).toContain(`<article class="tweet" id="tweet-${tweet._id}"`);
      expect(data.html).toContain('Live from the poller &lt;script&gt;alert(1)&lt;/script&gt;');
    }
    // The broadcast was timed, from the poller's read to the last stream's write.
    const metrics = (await t.ops.inject('/metrics')).body;
    expect(
      Number(/^frontend_sse_broadcast_seconds_count\{region="uksouth"\} (\d+)$/m.exec(metrics)?.[1]),
    ).toBeGreaterThan(0);
  });

  it('sends heartbeat comments', async () => {
    const stream = await open('/events');
    const heartbeat = await eventually(async () => {
      const event = await stream.next();
      return event?.comment === 'heartbeat' ? event : undefined;
    });
    expect(heartbeat).toEqual({ comment: 'heartbeat' });
  });

  it('resumes from Last-Event-ID: first what the client missed, oldest first, then live', async () => {
    const lastSeen = seeded[0]!;
    const missed = [
      makeTweet({ created_at: new Date(Date.now() - 2000) }),
      makeTweet({ created_at: new Date(Date.now() - 1000) }),
    ];
    await t.repository.insertNew(missed);
    // A resume is served from the poller's page: what the poller has read by then.
    await eventually(() => t.app.feed.newestPage()?.find((tweet) => tweet._id === missed[1]!._id));

    const stream = await open('/events', { 'last-event-id': encodeCursor(lastSeen) });
    const ids = [(await stream.nextOf('tweet'))?.id, (await stream.nextOf('tweet'))?.id];
    // The tweet from the first test is newer than lastSeen too.
    expect(ids).toEqual(missed.map(encodeCursor));
    const newer = await stream.nextOf('tweet');
    expect(newer?.id).not.toBe(undefined);

    const live = makeTweet({ created_at: new Date() });
    await t.repository.insertNew([live]);
    expect((await stream.nextOf('tweet'))?.id).toBe(encodeCursor(live));
  });

  it('takes ?since= from a freshly loaded page the same way', async () => {
    const newest = (await t.repository.newest())!;
    const stream = await open(`/events?since=${encodeURIComponent(encodeCursor(newest))}`);
    const live = makeTweet({ created_at: new Date() });
    await t.repository.insertNew([live]);
    expect((await stream.nextOf('tweet'))?.id).toBe(encodeCursor(live));
  });

  it('answers a forged Last-Event-ID with 400 JSON', async () => {
    const response = await fetch(`${origin}/events`, { headers: { 'last-event-id': 'forged' } });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ statusCode: 400, message: 'Last-Event-ID: not a valid cursor' });
  });

  it('counts clients and forgets the ones that leave', async () => {
    const before = Number(await sseClients());
    const stream = await open('/events');
    await eventually(async () => (Number(await sseClients()) === before + 1 ? true : undefined));
    await stream.cancel();
    await eventually(async () => (Number(await sseClients()) === before ? true : undefined));
  });

  it('sends one broadcast to every open stream, once', async () => {
    const all = await Promise.all(Array.from({ length: 4 }, () => open('/events')));
    expect(Number(await sseClients())).toBeGreaterThanOrEqual(all.length);
    const [first, second] = [
      makeTweet({ created_at: new Date() }),
      makeTweet({ created_at: new Date(Date.now() + 1) }),
    ];
    await t.repository.insertNew([first]);
    for (const stream of all) expect((await stream.nextOf('tweet'))?.id).toBe(encodeCursor(first));
    await t.repository.insertNew([second]);
    // The next tweet each stream gets is the second: the first came once.
    for (const stream of all) expect((await stream.nextOf('tweet'))?.id).toBe(encodeCursor(second));
  });
});

describe('posts stored late', () => {
  it('a late post that belongs on the first page reaches live clients, the page and the API', async () => {
    const stream = await open('/events');
    const newer = makeTweet({ text: 'posted last, stored first', created_at: new Date() });
    await t.repository.insertNew([newer]);
    expect((await stream.nextOf('tweet'))?.id).toBe(encodeCursor(newer));

    // A gap fill stores a post created nine seconds before the one the clients already got.
    const late = makeTweet({
      text: 'posted earlier, stored late',
      created_at: new Date(newer.created_at.getTime() - 9000),
    });
    await t.repository.insertNew([late]);
    expect((await stream.nextOf('tweet'))?.id).toBe(encodeCursor(late));
    const page = await (await fetch(`${origin}/`)).text();
    expect(page.indexOf(`id="tweet-${newer._id}"`)).toBeLessThan(page.indexOf(`id="tweet-${late._id}"`));
    expect(page).toContain(`id="tweet-${late._id}"`);
    const api = (await (await fetch(`${origin}/api/tweets`)).json()) as { tweets: { id: string }[] };
    expect(api.tweets.map((tweet) => tweet.id)).toContain(late._id);
  });

  it('a late post below the first page shows on the older page once its cache expires', async () => {
    const own = await startTestApp(testMongoUrl());
    try {
      const page = makeTweets(25, 60_000);
      await own.repository.insertNew(page);
      const firstPage = (await own.app.inject('/api/tweets?limit=20').then((response) => response.json())) as {
        nextCursor: string;
      };
      const older = () =>
        own.app
          .inject(`/api/tweets?limit=20&before=${firstPage.nextCursor}`)
          .then((response) => (response.json() as { tweets: { id: string }[] }).tweets.map((tweet) => tweet.id));
      expect(await older()).toHaveLength(5);
      const late = makeTweet({ created_at: new Date(page.at(-1)!.created_at.getTime() + 1) });
      await own.repository.insertNew([late]);
      // Older pages are cached by cursor for 5 s (OLDER_PAGE_TTL_MS).
      await eventually(async () => ((await older()).includes(late._id) ? true : undefined));
    } finally {
      await own.close();
    }
  });
});

describe('shutdown', () => {
  it('ends open event streams so the server can close', async () => {
    const own = await startTestApp(testMongoUrl());
    const ownOrigin = await own.app.listen({ host: '127.0.0.1', port: 0 });
    const response = await fetch(`${ownOrigin}/events`);
    const stream = new EventReader(response.body!);
    expect(await stream.next()).toEqual({ retry: '3000' });
    await own.close();
    expect(await stream.next()).toBeNull();
  });
});

describe('on the wire', () => {
  let own: TestApp;
  let port: number;
  beforeAll(async () => {
    own = await startTestApp(testMongoUrl(), { config: { streamMaxAgeMs: 500 } });
    port = Number(new URL(await own.app.listen({ host: '127.0.0.1', port: 0 })).port);
  });
  afterAll(() => own?.close());

  /** Everything a raw connection that sends `request` receives until the server closes it. */
  function exchange(request: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connectTcp({ host: '127.0.0.1', port }, () => socket.write(request));
      let received = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => {
        received += chunk;
      });
      socket.once('error', reject);
      socket.once('close', () => resolve(received));
    });
  }
  const split = (response: string) => {
    const end = response.indexOf('\r\n\r\n');
    return { head: response.slice(0, end).toLowerCase(), body: response.slice(end + 4) };
  };

  it('is an HTTP/1.1 chunked body, ended by its last chunk when the stream reaches its age', async () => {
    const { head, body } = split(await exchange('GET /events HTTP/1.1\r\nHost: test\r\n\r\n'));
    expect(head).toMatch(/^http\/1\.1 200 ok\r\n/);
    expect(head).toContain('\r\ntransfer-encoding: chunked');
    expect(head).toContain('\r\ncontent-type: text/event-stream; charset=utf-8');
    expect(head).toContain('\r\nconnection: close');
    expect(body.startsWith(`${'retry: 3000\n\n'.length.toString(16)}\r\nretry: 3000\n\n\r\n`)).toBe(true);
    expect(body.endsWith('\r\n0\r\n\r\n')).toBe(true);
  });

  it('is a body delimited by the connection for an HTTP/1.0 client', async () => {
    const { head, body } = split(await exchange('GET /events HTTP/1.0\r\nHost: test\r\n\r\n'));
    expect(head).toMatch(/^http\/1\.1 200 ok\r\n/);
    expect(head).not.toContain('transfer-encoding');
    expect(body).toBe('retry: 3000\n\n');
  });

  it('answers HEAD with the head a stream gets, and no body', async () => {
    const { head, body } = split(await exchange('HEAD /events HTTP/1.1\r\nHost: test\r\n\r\n'));
    expect(head).toMatch(/^http\/1\.1 200 ok\r\n/);
    expect(head).toContain('\r\ncontent-type: text/event-stream; charset=utf-8');
    expect(body).toBe('');
  });

  it('carries one stream per connection: a request pipelined after it closes the connection', async () => {
    const request = 'GET /events HTTP/1.1\r\nHost: test\r\n\r\n';
    const { body } = split(await exchange(request + request));
    expect(body.endsWith('0\r\n\r\n')).toBe(false);
    await eventually(async () =>
      /^frontend_sse_clients\{region="uksouth"\} 0$/m.test((await own.ops.inject('/metrics')).body) ? true : undefined,
    );
  });
});
