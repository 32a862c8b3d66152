// What the drills share: bounded waits and the ingest checks every drill makes.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { getText, type RegionSet } from '../src/region-set.js';

/** Waits until `check` holds, asked every 100 ms, for at most `timeoutMs`; how long it took. */
export async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(100);
  }
  return Date.now() - started;
}

/** Which region's frontend answered the visitors at `location` (the page's body says, in data-region). */
export async function servedBy(set: RegionSet, location: string): Promise<string | null> {
  return /<body data-region="([a-z0-9]+)"/.exec((await getText(set.entryUrl(location))) ?? '')?.[1] ?? null;
}

/** Waits until `region`'s streamer holds the ingest lease and streams. */
export function streamingIn(set: RegionSet, region: string, timeoutMs = 60_000): Promise<number> {
  return until(
    async () => {
      const status = await set.status();
      return status.leaseHolder?.region === region && status.regions.some((r) => r.region === region && r.streaming);
    },
    `${region}'s streamer holds the lease`,
    timeoutMs,
  );
}

/**
 * Lets posts arrive for a while on the current write region, stops the stand-in, and checks that every
 * published post was stored exactly once and the stand-in never saw two stream connections at once.
 */
export async function expectEveryPostOnce(set: RegionSet): Promise<void> {
  await sleep(3_000);
  const posts = await set.countPosts(60_000);
  expect(posts.stored, `all ${posts.published} published posts stored`).toBe(posts.published);
  // Exactly once: nothing but the published posts, each once (ids are unique, so counts are equal).
  expect(posts.documents).toBe(posts.published);
  // The lease never let two streamers hold the one X stream connection.
  expect(set.xApi.maxConcurrentStreams).toBe(1);
}
