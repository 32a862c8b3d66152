import { afterAll, beforeAll, expect, it } from 'vitest';
import { RegionSet } from '../src/region-set.js';
import { hangWriteRegion } from '../src/recovery.js';
import { expectEveryPostOnce, streamingIn } from './drill-kit.js';

// The hung write region drill: its database stalls (requests accepted, never answered) while its
// streamer holds the ingest lease, and nobody types a command. The whole set with 2 s probes, a 5 s
// detection window and the streamers' own 15 s lease; every wait is bounded.
let set: RegionSet;

beforeAll(async () => {
  set = await RegionSet.start({ postsPerSecond: 5, probeIntervalSeconds: 2, failoverWindowMs: 5_000 });
}, 180_000);

afterAll(async () => {
  await set?.stop();
}, 60_000);

it('the holder stops streaming before anyone else could claim, the set fails over by itself, the next region ingests, every post once', async () => {
  await streamingIn(set, 'westus');

  const hung = await hangWriteRegion(set);
  console.log(`hung write region: ${JSON.stringify(hung)}`);
  expect(hung).toMatchObject({ from: 'westus', to: 'uksouth' });
  // The holder's last answered claim is valid a safety margin short of its expiry: it stops first.
  expect(hung.holderStoppedMs).toBeLessThan(hung.leaseExpiredMs);
  expect(hung.holderStoppedMs).toBeLessThanOrEqual(set.options.leaseTtlMs + 2_000);
  // After the detection window, with no command.
  expect(hung.failoverMs).toBeGreaterThanOrEqual(set.options.failoverWindowMs);
  expect(set.automaticFailovers).toEqual([{ from: 'westus', to: 'uksouth', afterMs: expect.any(Number) }]);
  // Fenced: the stalled region's PostgreSQL is stopped, so held writes can never land.
  expect(set.tier.get('westus').postgres.running).toBe(false);
  await expectEveryPostOnce(set);

  // Cleared, it returns as a read region; nothing fails back.
  await set.fault('westus', { kind: 'clear' });
  expect(await set.tier.get('westus').postgres.isInRecovery()).toBe(true);
  expect(set.tier.status().writeRegion).toBe('uksouth');
}, 240_000);
