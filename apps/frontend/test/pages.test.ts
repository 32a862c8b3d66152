import { gunzipSync } from 'node:zlib';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { encodeCursor } from '@kubeonazure/tweet-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceRegion } from '@kubeonazure/service-kit';
import { makeTweet, makeTweets, startTestApp, type TestApp } from './support.js';

let t: TestApp;
const seeded = makeTweets(25);

beforeAll(async () => {
  t = await startTestApp(testMongoUrl());
  await t.repository.insertNew(seeded);
});
afterAll(() => t?.close());

function olderLink(html: string): string | undefined {
  return /<a href="(\/\?before=[^"]+)" rel="next">/.exec(html)?.[1]?.replaceAll('&amp;', '&');
}

describe('GET /', () => {
  it('shows the newest 20 tweets, newest first, with the region banner and freshness', async () => {
    const response = await t.app.inject('/');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    const html = response.body;
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('London · UK South');
    expect(html).toContain('<link rel="stylesheet" href="/themes/uksouth.css">');
    expect(html).toContain('<body data-region="uksouth">');
    expect(html).toMatch(/Newest tweet <time id="newest-time" datetime="[^"]+"[^>]*>\d+ seconds? ago<\/time>/);
    const ids = [...html.matchAll(/<article class="tweet" id="tweet-(\d+)"/g)].map((m) => m[1]);
    expect(ids).toEqual(seeded.slice(0, 20).map((tweet) => tweet._id));
    expect(html).toContain('<main id="main">');
  });

  it('renders a card with author, time, linked entities, rule tags and the retweet marker', async () => {
    const tweet = makeTweet({
      text: 'RT @azure: #AKS in three regions https://t.co/abc',
      name: 'Ada',
      username: 'ada',
      avatar_url: 'https://pbs.twimg.com/profile_images/1/ada.jpg',
      mentions: [{ username: 'azure', start: 3, end: 9 }],
      hashtags: [{ tag: 'AKS', start: 11, end: 15 }],
      urls: [
        {
          url: 'https://t.co/abc',
          expanded_url: 'https://learn.microsoft.com/azure/aks/',
          display_url: 'learn.microsoft.com/azure/aks/',
          start: 33,
          end: 49,
        },
      ],
      rule_tags: ['azure', 'kubernetes'],
      referenced_type: 'retweeted',
      created_at: new Date(Date.now() - 150_000),
    });
    const card = await renderAlone(tweet);
    expect(card).toContain(
      '<img class="avatar" src="https://pbs.twimg.com/profile_images/1/ada.jpg" alt="Avatar of Ada"',
    );
    expect(card).toContain('<span class="name">Ada</span> <span class="username">@ada</span>');
    expect(card).toContain(
      `<time datetime="${tweet.created_at.toISOString()}" title="${tweet.created_at.toISOString().slice(0, 19).replace('T', ' ')} UTC" data-relative>2 minutes ago</time>`,
    );
    expect(card).toContain('<a class="mention" href="https://x.com/azure" rel="noopener nofollow ugc">@azure</a>');
    expect(card).toContain('<a class="hashtag" href="https://x.com/hashtag/AKS" rel="noopener nofollow ugc">#AKS</a>');
    expect(card).toContain(
      '<a class="url" href="https://learn.microsoft.com/azure/aks/" rel="noopener nofollow ugc">learn.microsoft.com/azure/aks/</a>',
    );
    expect(card).toContain('<li>azure</li>');
    expect(card).toContain('<p class="marker marker-retweet">Retweet</p>');
  });

  it('escapes everything user-supplied', async () => {
    const card = await renderAlone(
      makeTweet({
        text: '<script>alert(1)</script>',
        name: '<img src=x onerror=alert(2)>',
        username: 'x"onmouseover="alert(3)',
        rule_tags: ['<b>tag</b>'],
      }),
    );
    expect(card).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(card).toContain('&lt;img src=x onerror=alert(2)&gt;');
    expect(card).toContain('&lt;b&gt;tag&lt;/b&gt;');
    expect(card).not.toContain('<script>alert');
    expect(card).not.toContain('<img src=x');
    expect(card).not.toContain('"onmouseover="');
  });

  it('pages to older tweets by cursor and back, without JavaScript', async () => {
    const first = await t.app.inject('/');
    const older = olderLink(first.body);
    expect(older).toBe(`/?before=${encodeCursor(seeded[19]!)}`);

    const second = await t.app.inject(older!);
    expect(second.statusCode).toBe(200);
    const ids = [...second.body.matchAll(/<article class="tweet" id="tweet-(\d+)"/g)].map((m) => m[1]);
    expect(ids).toEqual(seeded.slice(20).map((tweet) => tweet._id));
    expect(second.body).toContain('<h1 id="feed-title">Older tweets</h1>');
    expect(second.body).toContain('<a href="/">← Newest tweets</a>');
    expect(olderLink(second.body)).toBeUndefined();
    // Live updates belong to the newest page only.
    expect(second.body).not.toContain('data-live');
  });

  it('answers a forged cursor with 400, not 500', async () => {
    const response = await t.app.inject('/?before=not-a-cursor');
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('before: not a valid cursor');
    expect(response.body).not.toMatch(/at .*\.ts:\d+/);
  });

  it('sends security headers: a CSP of self (images also from X), nosniff, no referrer', async () => {
    const response = await t.app.inject('/');
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("img-src 'self' https://pbs.twimg.com");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(response.headers['x-xss-protection']).toBeUndefined();
  });

  it('sends browsers the same page gzipped', async () => {
    const plain = await t.app.inject('/');
    const gzipped = await t.app.inject({ url: '/', headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers.vary).toBe('accept-encoding');
    expect(gzipped.rawPayload.length).toBeLessThan(plain.rawPayload.length / 3);
    // The copy may have been re-rendered in between: relative times can differ by a second.
    const withoutTimes = (html: string) => html.replace(/>\d+ \w+ ago</g, '><');
    expect(withoutTimes(gunzipSync(gzipped.rawPayload).toString())).toBe(withoutTimes(plain.body));
  });

  it.each([
    ['br;q=1.0, gzip;q=0.8, *;q=0.1', 'gzip'],
    ['*', 'gzip'],
    ['gzip;q=0', undefined],
    ['br, *;q=0', undefined],
    ['identity', undefined],
  ])('answers Accept-Encoding %s with content-encoding %s', async (acceptEncoding, encoding) => {
    const response = await t.app.inject({ url: '/', headers: { 'accept-encoding': acceptEncoding } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-encoding']).toBe(encoding);
  });

  it('serves the static assets with cache headers', async () => {
    for (const [path, type] of [
      ['/static/app.css', 'text/css'],
      ['/static/live.js', 'javascript'],
      ['/static/relative-time.js', 'javascript'],
    ] as const) {
      const response = await t.app.inject(path);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toContain(type);
      expect(response.headers['cache-control']).toBe('public, max-age=3600');
      expect(response.headers.etag).toBeTruthy();
    }
  });

  it('serves the region’s theme as a stylesheet of its own, only its own', async () => {
    const response = await t.app.inject('/themes/uksouth.css');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(response.headers['cache-control']).toBe('public, max-age=3600');
    expect(response.body).toContain('--accent: #1d4ed8;');
    expect((await t.app.inject('/themes/westus.css')).statusCode).toBe(404);
  });

  it('links no theme locally: the stylesheet’s defaults', async () => {
    const local = await startTestApp(testMongoUrl(), { config: { region: serviceRegion('local') } });
    try {
      expect((await local.app.inject('/')).body).not.toContain('/themes/');
    } finally {
      await local.close();
    }
  });

  it('answers unknown pages with a 404 page', async () => {
    const response = await t.app.inject({ url: '/nope', headers: { accept: 'text/html' } });
    expect(response.statusCode).toBe(404);
    expect(response.body).toContain('Back to the newest tweets');
  });

  it('says so when the replica has no tweets yet', async () => {
    const empty = await startTestApp(testMongoUrl());
    try {
      const html = (await empty.app.inject('/')).body;
      expect(html).toContain("No tweets in this region's replica yet");
      expect(html).toContain('No tweets yet. New ones appear here as they arrive.');
      expect(html).not.toContain('rel="next"');
    } finally {
      await empty.close();
    }
  });
});

/** The card of one tweet, rendered by a fresh app on its own database. */
async function renderAlone(tweet: ReturnType<typeof makeTweet>): Promise<string> {
  const own = await startTestApp(testMongoUrl());
  try {
    await own.repository.insertNew([tweet]);
    const html = (await own.app.inject('/')).body;
    const card = /<article class="tweet"[\s\S]*?<\/article>/.exec(html)?.[0];
    expect(card).toBeDefined();
    return card!;
  } finally {
    await own.close();
  }
}
