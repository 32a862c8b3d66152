import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loseWriteRegion, servedBy } from '../src/recovery.js';
import { RegionSet } from '../src/region-set.js';
import { expectEveryPostOnce, streamingIn, until } from './drill-kit.js';

// The lost write region drills: nobody types a command. The whole set (real replication, FerretDB,
// the wire fronts, the built apps, HAProxy) with 2 s probes and a 5 s detection window; every wait is bounded.
const WINDOW_MS = 5_000;
let set: RegionSet;

beforeAll(async () => {
  set = await RegionSet.start({ postsPerSecond: 5, probeIntervalSeconds: 2, failoverWindowMs: WINDOW_MS });
}, 180_000);

afterAll(async () => {
  await set?.stop();
}, 60_000);

it('the write region is lost: the set fails over by itself, UK South ingests, US visitors move, every post once', async () => {
  await until(async () => (await set.status()).leaseHolder?.region === 'westus', 'West US streams', 30_000);
  await until(async () => (await servedBy(set, 'us')) === 'westus', 'US visitors on West US', 30_000);

  // The next region in failover priority, after the window, with no command; US visitors on the next
  // region in latency order from West US that serves, within the probe budget.
  const lost = await loseWriteRegion(set);
  expect(lost).toMatchObject({ from: 'westus', to: 'uksouth' });
  expect(set.automaticFailovers).toEqual([{ from: 'westus', to: 'uksouth', afterMs: expect.any(Number) }]);
  expect(set.automaticFailovers[0]?.afterMs).toBeGreaterThanOrEqual(WINDOW_MS);
  expect(lost.visitorsMovedTo).toBe('uksouth');
  await expectEveryPostOnce(set);

  // The lost region returns as a read region; nothing fails back by itself.
  expect(['pg_rewind', 'pg_basebackup']).toContain(await set.restore('westus'));
  expect(await set.tier.get('westus').postgres.isInRecovery()).toBe(true);
  await sleep(WINDOW_MS + 2_000);
  expect((await set.status()).writeRegion).toBe('uksouth');
  expect(set.automaticFailovers).toHaveLength(1);
}, 240_000);

it('the write region’s database refuses connections while it runs: fenced, the next in priority takes over, clear brings it back as a read region', async () => {
  expect((await set.status()).writeRegion).toBe('uksouth');
  set.feeder.start(5);
  await until(async () => (await set.status()).leaseHolder?.region === 'uksouth', 'UK South streams', 30_000);

  await set.fault('uksouth', { kind: 'refuse' });
  await until(() => set.automaticFailovers.length > 1, 'a second automatic failover', WINDOW_MS + 20_000);
  expect(set.automaticFailovers[1]).toMatchObject({ from: 'uksouth', to: 'southeastasia' });
  // Fenced: the refused region's PostgreSQL no longer runs, so it can take no write.
  expect(set.tier.get('uksouth').postgres.running).toBe(false);
  await streamingIn(set, 'southeastasia');
  await expectEveryPostOnce(set);

  await set.fault('uksouth', { kind: 'clear' });
  expect(await set.tier.get('uksouth').postgres.isInRecovery()).toBe(true);
  expect((await set.status()).writeRegion).toBe('southeastasia');
}, 240_000);
