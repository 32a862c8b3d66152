import { setTimeout as sleep } from 'node:timers/promises';
import { REGIONS } from '@kubeonazure/regions';
import {
  DEFAULT_COLLECTION,
  DEFAULT_DATABASE,
  DEFAULT_LEASE_COLLECTION,
  readLease,
  type LeaseDocument,
} from '@kubeonazure/tweet-model';
import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getText, RegionSet } from '../src/region-set.js';
import { SseClient } from '../src/sse-client.js';
import { expectEveryPostOnce, until } from './drill-kit.js';

// The ingest drills (issue 17) on the whole set: a rollout, a handover after a crash, an outage past
// X's recent-search window. Each counts every published post stored exactly once (or, beyond the
// window, counted as lost), one X stream connection at a time, and every region's page and live
// clients caught up. A 10 s lease keeps the drills short; every wait is bounded.
const LEASE_TTL_MS = 10_000;
const RATE = 5;
const DAY_MS = 24 * 3600_000;
let set: RegionSet;
let client: MongoClient;
let clients: SseClient[];
/** Posts published while no streamer ran, aged past the window: lost, and counted by the streamer. */
const lost = new Set<string>();

beforeAll(async () => {
  set = await RegionSet.start({ postsPerSecond: RATE, probeIntervalSeconds: 2, leaseTtlMs: LEASE_TTL_MS });
  // X's largest recent-search page: the long outage's searches start from the window's start.
  set.xApi.searchPageSize = 100;
  client = set.writerClient();
  clients = set.apps.map((app) => new SseClient(app.region.name, set.frontendUrl(app.region.name), set.client));
  // Every live client is connected and receiving before the first drill.
  await until(() => clients.every((sse) => sse.arrivals.length > 0), 'every live client receives posts', 60_000);
}, 180_000);

afterAll(async () => {
  for (const sse of clients ?? []) sse.close();
  await client?.close();
  await set?.stop();
}, 60_000);

const tweets = (collection = DEFAULT_COLLECTION) => client.db(DEFAULT_DATABASE).collection<{ _id: string }>(collection);
/** The lease as the write region has it; null when there is none or the read failed (asked again). */
const lease = () =>
  readLease(client.db(DEFAULT_DATABASE).collection<LeaseDocument>(DEFAULT_LEASE_COLLECTION), {
    maxTimeMS: 2_000,
  }).catch(() => null);
const writeRegion = () => set.tier.status().writeRegion;
const publishedIds = () => set.feeder.published.map((post) => post.id);

/** Every region's first page shows `ids`, and its live client got them; how long that took. */
async function caughtUp(ids: string[]): Promise<number> {
  const started = Date.now();
  await Promise.all(
    set.apps.map(async (app) => {
      const region = app.region.name;
      const sse = clients.find((candidate) => candidate.region === region)!;
      await until(
        async () => {
          const page = (await getText(set.frontendUrl(region), set.client)) ?? '';
          return ids.every((id) => page.includes(`id="tweet-${id}"`));
        },
        `${ids.length} posts on ${region}'s first page`,
        30_000,
      );
      await until(() => ids.every((id) => sse.has(id)), `${ids.length} posts at ${region}'s live client`, 30_000);
    }),
  );
  return Date.now() - started;
}

/** The streamer's count of gaps it could not fill (beyond the window, or a failed fill). */
async function unrecoverableGaps(metricsUrl: string): Promise<number> {
  const text = (await getText(metricsUrl)) ?? '';
  return [...text.matchAll(/^streamer_gaps_unrecoverable_total(?:\{[^}]*\})? (\d+)/gm)].reduce(
    (sum, match) => sum + Number(match[1]),
    0,
  );
}

describe('ingest drill 1: a rollout, write region first, while posts arrive', () => {
  it('loses nothing, streams once at a time, returns the lease to the write region, and every region catches up', async () => {
    const write = writeRegion();
    await until(async () => (await lease())?.region === write, 'the write region streams', 30_000);
    const order = [write, ...REGIONS.map((region) => region.name).filter((name) => name !== write)];
    let leaseBackMs = 0;
    for (const region of order) {
      const started = Date.now();
      await set.rollout(region);
      await until(
        async () => (await getText(`${set.frontendUrl(region)}/healthz`, set.client)) !== null,
        `${region} healthy after its update`,
        30_000,
      );
      // Within two lease periods of the region's new apps being up; the figure counts from the update's start.
      await until(async () => (await lease())?.region === write, 'lease in the write region', 2 * LEASE_TTL_MS);
      if (region === write) leaseBackMs = Date.now() - started;
    }
    await expectEveryPostOnce(set, lost);
    const newest = publishedIds().slice(-5);
    const catchUpMs = await caughtUp(newest);
    console.log(
      `rollout: 0 lost of ${set.feeder.published.length}; the lease back in ${write} ${leaseBackMs} ms after its update began, and there after every other region's; pages and live clients caught up ${catchUpMs} ms after the last post`,
    );
    set.feeder.start(RATE);
  }, 180_000);
});

describe('ingest drill 2: the write region streamer crashes', () => {
  it('another region takes the lease after the ttl and gap-fills; the filled posts reach every first page and live client', async () => {
    const write = writeRegion();
    await until(async () => (await lease())?.region === write, 'the write region streams', 30_000);
    // A slower rate keeps the whole gap (about two ttls) on the first page (20 posts).
    set.feeder.start(0.5);
    const oldHolder = (await lease())?.holder;
    const from = set.feeder.published.length;
    await set.stopStreamer(write, 'SIGKILL');
    const toNewHolderMs = await until(
      async () => {
        const current = await lease();
        return Boolean(current && current.holder !== oldHolder && current.expiresAt.getTime() > Date.now());
      },
      'a new lease holder',
      4 * LEASE_TTL_MS,
    );
    const newHolderAt = Date.now();
    const newRegion = (await lease())?.region;
    await sleep(1_000);
    const gap = set.feeder.published.slice(from).map((post) => post.id);
    await expectEveryPostOnce(set, lost);
    await caughtUp(gap);
    const lateMs = Date.now() - newHolderAt;
    console.log(
      `handover: ${newRegion} holds the lease ${toNewHolderMs} ms after ${write}'s streamer was killed; 0 lost; the ${gap.length} posts published since the kill on every first page and live client ${lateMs} ms after the new holder took over`,
    );
    await set.resumeStreamer(write);
    await until(async () => (await lease())?.region === write, 'lease back in the write region', 2 * LEASE_TTL_MS);
    set.feeder.start(RATE);
  }, 180_000);
});

describe('ingest drill 3: ingest down past the recent-search window', () => {
  it('stream and search resume, store what is published now, and count what is beyond the window', async () => {
    const write = writeRegion();
    const searchEnv = {
      STREAMER_SOURCE: 'search',
      LEASE: 'false',
      MONGO_COLLECTION: 'search_drill',
      SEARCH_INTERVAL_MS: '500',
    };
    // search_drill is outside the streamer's role: the drill's own streamer signs in as the operator.
    const searcher = await set.startExtraStreamer(write, searchEnv, 'operator');
    const newestBefore = publishedIds().at(-1)!;
    await until(
      async () => (await tweets('search_drill').countDocuments({ _id: newestBefore })) === 1,
      'search mode stores',
      30_000,
    );
    await expectEveryPostOnce(set, lost);
    await searcher.streamer.stop();
    await Promise.all(REGIONS.map((region) => set.stopStreamer(region.name)));

    // Published while no streamer runs, then aged past the window: an outage of 8 days.
    const from = set.feeder.published.length;
    set.feeder.start(RATE);
    await sleep(3_000);
    set.feeder.stop();
    for (const post of set.feeder.published.slice(from)) lost.add(post.id);
    set.xApi.backdate(8 * DAY_MS);

    const after = set.feeder.published.length;
    set.feeder.start(RATE);
    const searcherAgain = await set.startExtraStreamer(write, searchEnv, 'operator');
    try {
      await Promise.all(REGIONS.map((region) => set.resumeStreamer(region.name)));
      await until(async () => (await lease())?.region === write, 'the write region streams again', 2 * LEASE_TTL_MS);
      await sleep(3_000);
      await expectEveryPostOnce(set, lost);
      const now = set.feeder.published.slice(after).map((post) => post.id);
      await until(
        async () => (await tweets('search_drill').countDocuments({ _id: { $in: now } })) === now.length,
        'search mode stores what is published now',
        30_000,
      );
      expect(await tweets('search_drill').countDocuments({ _id: { $in: [...lost] } })).toBe(0);
      const streamCounted = (
        await Promise.all(REGIONS.map((region) => unrecoverableGaps(set.streamerMetricsUrl(region.name))))
      ).reduce((sum, count) => sum + count, 0);
      const searchCounted = await unrecoverableGaps(searcherAgain.metricsUrl);
      expect(streamCounted).toBeGreaterThan(0);
      expect(searchCounted).toBeGreaterThan(0);
      const stored = await tweets().countDocuments({ _id: { $in: publishedIds() } });
      expect(stored + lost.size).toBe(set.feeder.published.length);
      await caughtUp(now.slice(-5));
      console.log(
        `long outage: ${lost.size} posts published while ingest was down, aged past the window: lost, counted (stream: ${streamCounted} unrecoverable gap, search: ${searchCounted}); the ${now.length} published since stored by both modes`,
      );
    } finally {
      await searcherAgain.streamer.stop();
    }
  }, 180_000);
});
