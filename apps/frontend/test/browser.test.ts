/// <reference lib="dom" />
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { exactUtc } from '@kubeonazure/relative-time';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeTweet, span, startTestApp, type TestApp } from './support.js';

const SCREENSHOTS = fileURLToPath(new URL('../../../reports/screenshots/', import.meta.url));

let t: TestApp;
let origin: string;
let browser: Browser;

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
  t = await startTestApp(testMongoUrl());
  await t.repository.insertNew(seeded);
  origin = await t.app.listen({ host: '127.0.0.1', port: 0 });
  await eventually(() => t.app.feed.newestPage()?.[0]);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
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
    const empty = await startTestApp(testMongoUrl());
    try {
      const emptyOrigin = await empty.app.listen({ host: '127.0.0.1', port: 0 });
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
    const full = await startTestApp(testMongoUrl(), { config: { maxStreams: 1 } });
    const fullOrigin = await full.app.listen({ host: '127.0.0.1', port: 0 });
    const held = new AbortController();
    try {
      const taken = await fetch(`${fullOrigin}/events`, { signal: held.signal });
      expect(taken.status).toBe(200);
      const page = await browser.newPage();
      await page.goto(fullOrigin);
      const status = page.locator('#live-status[data-state="reconnecting"]');
      await status.waitFor();
      // The server says 30 s; the page adds up to a fifth so that refused clients do not return together.
      expect(await status.textContent()).toMatch(/^Reconnecting in (3[0-6]) s…$/);
      await page.close();
    } finally {
      held.abort();
      await full.close();
    }
  });
});
