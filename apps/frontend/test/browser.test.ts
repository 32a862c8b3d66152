/// <reference lib="dom" />
import { createHash, createPublicKey } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { exactUtc } from '@kubeonazure/relative-time';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRedirectApp } from '../src/app.js';
import type { TlsPair } from '../src/tls.js';
import { eventually, makeTweet, span, startTestApp, type TestApp } from './support.js';
import { makeCa } from './tls.js';

const SCREENSHOTS = fileURLToPath(new URL('../../../reports/screenshots/', import.meta.url));
// The custom domain (a reserved name): Chromium resolves it to loopback, where the apps listen. Not
// `localhost`, for which Chromium keeps no HSTS.
const HOST = 'www.kubeonazure.test';

let t: TestApp;
let origin: string;
let browser: Browser;
let tls: TlsPair;

/** A frontend serving HTTPS for HOST with the test CA's certificate, as in a pod with components/tls. */
function startHttpsApp(options: Parameters<typeof startTestApp>[1] = {}): Promise<TestApp> {
  return startTestApp(testMongoUrl(), { ...options, tls, config: { publicHost: HOST, ...options.config } });
}

/** Listens on 127.0.0.1; the origin by HOST (Fastify names `http:` for a server it did not make). */
async function listen(app: FastifyInstance, scheme = 'https'): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `${scheme}://${HOST}:${(app.server.address() as AddressInfo).port}`;
}

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);
const ADA =
  'Three regions, one replica set: reads stay local with #CosmosDB read preference tags. Notes from @AzureSupport https://t.co/aks1';
const GRACE =
  'RT @kubernetesio: Kubernetes v1.35 is out. Rolling updates now respect #PodDisruptionBudgets even harder.';
const LIVE = 'This one arrived through server-sent events #SSE';
const seeded = [
  makeTweet({
    name: 'Ada Lovelace',
    username: 'ada',
    text: ADA,
    hashtags: [{ tag: 'CosmosDB', ...span(ADA, '#CosmosDB') }],
    mentions: [{ username: 'AzureSupport', ...span(ADA, '@AzureSupport') }],
    urls: [
      {
        url: 'https://t.co/aks1',
        expanded_url: 'https://learn.microsoft.com/azure/cosmos-db/mongodb/',
        display_url: 'learn.microsoft.com/azure/cosmos-d…',
        ...span(ADA, 'https://t.co/aks1'),
      },
    ],
    rule_tags: ['azure', 'kubernetes'],
    created_at: minutesAgo(0.2),
  }),
  makeTweet({
    name: 'Grace Hopper',
    username: 'grace',
    text: GRACE,
    mentions: [{ username: 'kubernetesio', ...span(GRACE, '@kubernetesio') }],
    hashtags: [{ tag: 'PodDisruptionBudgets', ...span(GRACE, '#PodDisruptionBudgets') }],
    referenced_type: 'retweeted',
    rule_tags: ['kubernetes'],
    created_at: minutesAgo(4),
  }),
  makeTweet({
    name: 'Linus',
    username: 'linus_t',
    text: 'Traffic Manager sent me to Singapore from Jakarta. Latency routing works. <script>alert("xss")</script>',
    rule_tags: ['traffic-manager'],
    created_at: minutesAgo(38),
  }),
  makeTweet({
    name: 'Margaret Hamilton',
    username: 'margaret',
    text: 'Readiness probes that read the database, liveness probes that do not. Learned that one the hard way.',
    referenced_type: 'replied_to',
    rule_tags: ['kubernetes'],
    created_at: minutesAgo(190),
  }),
];

beforeAll(async () => {
  // A CA of the test's own stands in for Let's Encrypt; the browser trusts the key it certified.
  const ca = await makeCa();
  const leaf = await ca.issue(HOST);
  tls = { cert: Buffer.from(leaf.cert), key: Buffer.from(leaf.key) };
  t = await startHttpsApp();
  await t.repository.insertNew(seeded);
  origin = await listen(t.app);
  await eventually(() => t.app.feed.newestPage()?.[0]);
  // Chromium has no flag to add a CA without a system store; it trusts a certificate whose key hash
  // (SHA-256 of the SubjectPublicKeyInfo) is listed, which is then valid to it: HSTS is kept.
  const spki = createHash('sha256')
    .update(createPublicKey(leaf.cert).export({ type: 'spki', format: 'der' }))
    .digest('base64');
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      `--ignore-certificate-errors-spki-list=${spki}`,
      `--host-resolver-rules=MAP ${HOST} 127.0.0.1`,
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe('the page in a real browser', () => {
  it('shows the seeded tweets and the banner, adds a new tweet live, with no console errors or CSP violations', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning')
        problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    await page.exposeFunction('reportCspViolation', (directive: string, blocked: string) =>
      problems.push(`CSP violation: ${directive} ${blocked}`),
    );
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        (window as unknown as { reportCspViolation(d: string, b: string): void }).reportCspViolation(
          event.violatedDirective,
          event.blockedURI,
        );
      });
    });

    await page.goto(origin);
    expect(await page.title()).toBe('Tweets · London · UK South');
    expect(await page.locator('.region-name').textContent()).toBe('London · UK South');
    // The region's theme (its record in libs/regions) reaches the banner through /themes/uksouth.css.
    expect(
      await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()),
    ).toBe('#1d4ed8');
    expect(await page.locator('.skyline').evaluate((element) => getComputedStyle(element).clipPath)).toMatch(
      /^polygon\(0px 100%, 0px 62%, 8% 62%/,
    );
    const names = await page.locator('.tweet .name').allTextContents();
    expect(names).toEqual(['Ada Lovelace', 'Grace Hopper', 'Linus', 'Margaret Hamilton']);
    expect(await page.locator('.tweet').nth(2).locator('.text').textContent()).toContain(
      '<script>alert("xss")</script>',
    );
    expect(await page.locator('.tweet').first().locator('.text a').allTextContents()).toEqual([
      '#CosmosDB',
      '@AzureSupport',
      'learn.microsoft.com/azure/cosmos-d…',
    ]);
    await page.locator('#live-status[data-state="live"]').waitFor();

    const live = makeTweet({
      name: 'Live Tweeter',
      username: 'live',
      text: LIVE,
      hashtags: [{ tag: 'SSE', ...span(LIVE, '#SSE') }],
      rule_tags: ['azure'],
      created_at: new Date(),
    });
    await t.repository.insertNew([live]);
    await page.locator(`#tweet-${live._id}`).waitFor({ timeout: 10_000 });
    expect(await page.locator('.tweet .name').first().textContent()).toBe('Live Tweeter');
    expect(await page.locator('.tweet').count()).toBe(5);
    expect(await page.locator('#newest-time').getAttribute('datetime')).toBe(live.created_at.toISOString());

    await mkdir(SCREENSHOTS, { recursive: true });
    const screenshot = `${SCREENSHOTS}frontend.png`;
    await page.waitForTimeout(1300); // let the arrival highlight finish
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`screenshot: ${screenshot}`);

    // The same page on a phone.
    const phone = await browser.newPage({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
    });
    await phone.goto(origin);
    const phoneShot = `${SCREENSHOTS}frontend-phone.png`;
    await phone.screenshot({ path: phoneShot });
    console.log(`screenshot: ${phoneShot}`);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);

    expect(problems).toEqual([]);
  });

  it('puts a tweet stored late where its time belongs, not on top', async () => {
    const page = await browser.newPage();
    await page.goto(origin);
    await page.locator('#live-status[data-state="live"]').waitFor();
    const late = makeTweet({ name: 'Late Arrival', username: 'late', created_at: minutesAgo(1) });
    await t.repository.insertNew([late]);
    await page.locator(`#tweet-${late._id}`).waitFor({ timeout: 10_000 });
    const names = await page.locator('.tweet .name').allTextContents();
    expect(names.slice(names.indexOf('Ada Lovelace'), names.indexOf('Grace Hopper') + 1)).toEqual([
      'Ada Lovelace',
      'Late Arrival',
      'Grace Hopper',
    ]);
    await page.close();
  });

  it('opened on an empty replica, switches the banner to the newest tweet once one arrives live', async () => {
    const empty = await startHttpsApp();
    try {
      const emptyOrigin = await listen(empty.app);
      const page = await browser.newPage();
      await page.goto(emptyOrigin);
      expect(await page.locator('#freshness').textContent()).toBe("No tweets in this region's replica yet");
      await page.locator('#live-status[data-state="live"]').waitFor();

      const first = makeTweet({ text: 'The first tweet this replica has seen', created_at: new Date() });
      await empty.repository.insertNew([first]);
      await page.locator(`#tweet-${first._id}`).waitFor({ timeout: 10_000 });
      // Written by the page's script, with the module the server renders with (/static/relative-time.js).
      expect(await page.locator('#freshness').textContent()).toMatch(/^Newest tweet \d+ seconds? ago$/);
      expect(await page.locator('#newest-time').getAttribute('datetime')).toBe(first.created_at.toISOString());
      expect(await page.locator('#newest-time').getAttribute('title')).toBe(exactUtc(first.created_at));
      expect(await page.locator('#empty').count()).toBe(0);
    } finally {
      await empty.close();
    }
  });
});

describe('live updates when the pod has no stream to spare', () => {
  it('waits as long as the 503 Retry-After says before trying again', async () => {
    const full = await startHttpsApp({ config: { maxStreams: 1 } });
    const fullOrigin = await listen(full.app);
    try {
      // Another visitor's page holds the pod's one stream.
      const taken = await browser.newPage();
      await taken.goto(fullOrigin);
      await taken.locator('#live-status[data-state="live"]').waitFor();
      const page = await browser.newPage();
      await page.goto(fullOrigin);
      const status = page.locator('#live-status[data-state="reconnecting"]');
      await status.waitFor();
      // The server says 30 s; the page adds up to a fifth so that refused clients do not return together.
      expect(await status.textContent()).toMatch(/^Reconnecting in (3[0-6]) s…$/);
      await Promise.all([page.close(), taken.close()]);
    } finally {
      await full.close();
    }
  });
});

describe('HTTPS in the browser', () => {
  it('serves the page over HTTPS with HSTS, which the browser keeps: an http:// URL of the site is upgraded before it leaves', async () => {
    const page = await browser.newPage();
    const served = await page.goto(origin);
    expect(served?.url()).toBe(`${origin}/`);
    expect(served?.headers()['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(await page.evaluate(() => window.isSecureContext && location.protocol)).toBe('https:');

    // The same port over plain HTTP: only the browser's HSTS upgrade reaches the TLS listener there.
    const plain = origin.replace('https://', 'http://');
    const upgraded = await page.goto(`${plain}/?before=x`);
    expect(upgraded?.url()).toBe(`${origin}/?before=x`);
    expect(upgraded?.request().redirectedFrom()?.url()).toBe(`${plain}/?before=x`);
    expect(upgraded?.status()).toBe(400); // the cursor "x", checked by the HTTPS server itself
    await page.close();
  });

  it('follows plain HTTP to HTTPS on 443 with a 308 and no HSTS (a new profile, no HSTS yet)', async () => {
    const redirect: FastifyInstance = buildRedirectApp(HOST);
    try {
      const plainOrigin = await listen(redirect, 'http');
      const page = await browser.newPage();
      // HTTPS on 443 is the Service's port, which nothing here listens on: the browser's attempt fails.
      const failed = page.waitForEvent('requestfailed');
      await expect(page.goto(`${plainOrigin}/api/tweets?limit=1`)).rejects.toThrow();
      const request = await failed;
      expect(request.url()).toBe(`https://${HOST}/api/tweets?limit=1`);
      const hop = await request.redirectedFrom()?.response();
      expect(hop?.status()).toBe(308);
      expect(hop?.headers()).not.toHaveProperty('strict-transport-security');
      await page.close();
    } finally {
      await redirect.close();
    }
  });
});
