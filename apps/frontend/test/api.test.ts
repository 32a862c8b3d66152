import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTweet, makeTweets, startTestApp, type TestApp } from './support.js';

let t: TestApp;
const seeded = makeTweets(30);

beforeAll(async () => {
  t = await startTestApp(testMongoUrl());
  await t.repository.insertNew(seeded);
});
afterAll(() => t?.close());

async function getJson(url: string) {
  const response = await t.app.inject(url);
  return { status: response.statusCode, type: response.headers['content-type'], body: response.json() };
}

describe('GET /api/tweets', () => {
  it('returns the newest 20 by default, in the public shape', async () => {
    const { status, body } = await getJson('/api/tweets');
    expect(status).toBe(200);
    expect(body.tweets).toHaveLength(20);
    expect(body.tweets.map((tweet: { id: string }) => tweet.id)).toEqual(seeded.slice(0, 20).map((tweet) => tweet._id));
    const [first] = body.tweets;
    expect(first).toMatchObject({
      id: seeded[0]!._id,
      created_at: seeded[0]!.created_at.toISOString(),
      username: seeded[0]!.username,
      rule_tags: ['kubernetes'],
    });
    expect(first).not.toHaveProperty('_id');
    expect(first).not.toHaveProperty('ingested_at');
    expect(typeof body.nextCursor).toBe('string');
  });

  it('pages with limit and before until nextCursor is null', async () => {
    const ids: string[] = [];
    let url = '/api/tweets?limit=12';
    for (;;) {
      const { status, body } = await getJson(url);
      expect(status).toBe(200);
      ids.push(...body.tweets.map((tweet: { id: string }) => tweet.id));
      if (body.nextCursor === null) break;
      url = `/api/tweets?limit=12&before=${encodeURIComponent(body.nextCursor)}`;
    }
    expect(ids).toEqual(seeded.map((tweet) => tweet._id));
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=2.5', 'limit'],
    ['before=not-a-cursor', 'before'],
    [`before=${'A'.repeat(300)}`, 'before'],
  ])('answers %s with a 400 JSON error naming %s', async (query, field) => {
    const { status, type, body } = await getJson(`/api/tweets?${query}`);
    expect(status).toBe(400);
    expect(type).toContain('application/json');
    expect(body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(body.message).toContain(field);
  });

  it('returns user text as data, untouched (escaping is the renderer’s job)', async () => {
    const own = await startTestApp(testMongoUrl());
    try {
      await own.repository.insertNew([makeTweet({ text: '<script>alert(1)</script>' })]);
      const response = await own.app.inject('/api/tweets');
      expect(response.json().tweets[0].text).toBe('<script>alert(1)</script>');
      expect(response.headers['content-type']).toContain('application/json');
    } finally {
      await own.close();
    }
  });

  it('is rate limited per client address', async () => {
    const own = await startTestApp(testMongoUrl(), {
      config: { region: t.app.region, pollIntervalMs: 100, readTimeoutMs: 1500, rateLimitPerMinute: 3 },
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i += 1) statuses.push((await own.app.inject('/api/tweets?limit=1')).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429]);
      // The page itself is not limited.
      expect((await own.app.inject('/')).statusCode).toBe(200);
    } finally {
      await own.close();
    }
  });
});

describe('GET /api/openapi.json', () => {
  it('documents /api/tweets, its query parameters and its page of tweets, from the route schemas', async () => {
    const { status, type, body } = await getJson('/api/openapi.json');
    expect(status).toBe(200);
    expect(type).toContain('application/json');
    expect(body.openapi).toMatch(/^3\./);
    // The JSON API only: pages, the event stream, the probes and the document itself are left out.
    expect(Object.keys(body.paths)).toEqual(['/api/tweets']);

    const get = body.paths['/api/tweets'].get;
    expect(get.parameters).toEqual([
      expect.objectContaining({
        in: 'query',
        name: 'limit',
        required: false,
        schema: expect.objectContaining({ type: 'integer', minimum: 1, maximum: 100, default: 20 }),
      }),
      expect.objectContaining({
        in: 'query',
        name: 'before',
        required: false,
        schema: expect.objectContaining({ type: 'string', maxLength: 200 }),
      }),
    ]);

    const page = get.responses['200'].content['application/json'].schema;
    expect(page.required).toEqual(['tweets', 'nextCursor']);
    const tweet = page.properties.tweets.items;
    expect(tweet.required).toEqual(expect.arrayContaining(['id', 'text', 'created_at', 'username', 'rule_tags']));
    expect(tweet.properties).not.toHaveProperty('_id');
    expect(tweet.properties).not.toHaveProperty('ingested_at');
    expect(tweet.properties.created_at).toMatchObject({ type: 'string', format: 'date-time' });
    expect(get.responses['4XX'].content['application/json'].schema.required).toEqual([
      'statusCode',
      'error',
      'message',
    ]);
  });
});
