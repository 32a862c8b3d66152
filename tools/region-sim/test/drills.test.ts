import { REGIONS } from '@kubeonazure/regions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loseReadRegion, probeBudgetMs, servedBy } from '../src/recovery.js';
import { getJson, getText, RegionSet } from '../src/region-set.js';
import { expectEveryPostOnce, streamingIn, until } from './drill-kit.js';

// The region-loss drills on the whole set: real PostgreSQL replication, FerretDB, the wire fronts,
// the built frontends and streamers, HAProxy. Probes every 2 s (Traffic Manager's rules otherwise),
// so the drills take seconds, not minutes; every wait is bounded.
const PROBE_INTERVAL_S = 2;
let set: RegionSet;

beforeAll(async () => {
  set = await RegionSet.start({ postsPerSecond: 5, probeIntervalSeconds: PROBE_INTERVAL_S });
}, 180_000);

afterAll(async () => {
  await set?.stop();
}, 60_000);

const health = (region: string) => getJson(`${set.frontendUrl(region)}/healthz`);
const healthStatus = async (region: string) => (await health(region))?.status ?? null;
describe('drill 3: lag shows where it is, and only there', () => {
  it('with 800 ms of lag in Southeast Asia its /healthz and page are behind; the others are not', async () => {
    await until(async () => (await healthStatus('southeastasia')) === 200, 'every region healthy', 30_000);
    // The marker is ingested only once a streamer streams.
    await streamingIn(set, 'westus', 30_000);
    set.feeder.stop();
    await set.lag('southeastasia', 800);
    const marker = set.feeder.publishOne();
    const markerAt = new Date(set.feeder.published.at(-1)?.at ?? 0).toISOString();
    const newest = async (region: string) => (await health(region))?.body.newestTweetAt;

    await until(
      async () => (await newest('westus')) === markerAt && (await newest('uksouth')) === markerAt,
      'the marker in West US and UK South',
      10_000,
    );
    // At that moment Southeast Asia still shows an older newest post, on /healthz and on its page.
    expect(await newest('southeastasia')).not.toBe(markerAt);
    const text = `Region drill post ${set.feeder.published.length} `;
    expect(await getText(set.frontendUrl('southeastasia'))).not.toContain(text);
    expect(await getText(set.frontendUrl('uksouth'))).toContain(text);
    await until(async () => (await newest('southeastasia')) === markerAt, 'the marker in Southeast Asia', 10_000);
    expect(marker).toMatch(/^\d{19}$/);

    await set.lag('southeastasia', 0);
    await expectEveryPostOnce(set);
    set.feeder.start(5);
  }, 120_000);
});

describe('drill 1: a read region loses its database', () => {
  it('UK South answers 503, HAProxy sends UK visitors to West US, the rest is unaffected, restore heals it', async () => {
    const frontendPid = set.apps.find((app) => app.region.name === 'uksouth')?.frontend?.pid;
    await until(async () => (await servedBy(set, 'uk')) === 'uksouth', 'UK visitors served by UK South', 30_000);

    // Its /healthz 503, and UK visitors on the next region in latency order, each within the probe budget.
    const loss = await loseReadRegion(set, 'uksouth');
    expect(loss.movedTo).toBe('westus');
    for (const region of REGIONS.filter((region) => region.name !== 'uksouth')) {
      expect(await healthStatus(region.name)).toBe(200);
      expect(await servedBy(set, region.visitorLocation)).toBe(region.name);
    }

    await set.restore('uksouth');
    await until(async () => (await healthStatus('uksouth')) === 200, 'UK South healthy again', 30_000);
    await until(
      async () => (await servedBy(set, 'uk')) === 'uksouth',
      'UK visitors back on UK South',
      probeBudgetMs(set),
    );
    // Healed without restarting anything.
    expect(set.apps.find((app) => app.region.name === 'uksouth')?.frontend?.pid).toBe(frontendPid);
    await expectEveryPostOnce(set);
    set.feeder.start(5);
  }, 180_000);
});

describe('drill 2: the write region is lost while posts arrive', () => {
  it('fails over to UK South: writers follow, its streamer takes the lease, every post stored exactly once', async () => {
    await until(async () => (await set.status()).leaseHolder?.region === 'westus', 'West US streams', 30_000);

    await set.outage('westus', true);
    await set.failover('uksouth');
    await streamingIn(set, 'uksouth');
    // Posts keep arriving for a while on the new write region, then the stand-in stops publishing.
    await expectEveryPostOnce(set);

    // The old write region rejoins as a read region and serves again.
    const how = await set.restore('westus');
    expect(['pg_rewind', 'pg_basebackup']).toContain(how);
    expect(await set.tier.get('westus').postgres.isInRecovery()).toBe(true);
    await until(async () => (await healthStatus('westus')) === 200, 'West US healthy as a read region', 30_000);
    expect((await set.status()).writeRegion).toBe('uksouth');
  }, 180_000);
});
