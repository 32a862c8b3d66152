// What the drills share: bounded waits and the ingest checks every drill makes.
import { pollUntil } from '@kubeonazure/tool-kit';
import { DEFAULT_COLLECTION, DEFAULT_DATABASE } from '@kubeonazure/tweet-model';
import { expect } from 'vitest';
import { streamsIn } from '../src/recovery.js';
import type { RegionSet } from '../src/region-set.js';

/** Waits until `check` holds, asked every 100 ms, for at most `timeoutMs`; how long it took. */
export async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  await pollUntil(check, { what, timeoutMs });
  return Date.now() - started;
}

/** Waits until `region`'s streamer holds the ingest lease and streams. */
export function streamingIn(set: RegionSet, region: string, timeoutMs = 60_000): Promise<number> {
  return until(() => streamsIn(set, region), `${region}'s streamer holds the lease`, timeoutMs);
}

/**
 * The check every drill ends with. The stand-in stops publishing at the rate and publishes one more
 * post, so ingest must be live in the current write region; then every published post not in `lost`
 * (published while nobody could fetch it, beyond X's window) is stored exactly once, none of `lost`
 * is, and the stand-in never saw two stream connections at once. The caller restarts the feeder.
 */
export async function expectEveryPostOnce(set: RegionSet, lost: ReadonlySet<string> = new Set()): Promise<void> {
  const client = set.writerClient();
  try {
    const tweets = client.db(DEFAULT_DATABASE).collection<{ _id: string }>(DEFAULT_COLLECTION);
    set.feeder.stop();
    set.feeder.publishOne();
    const expected = set.feeder.published.map((post) => post.id).filter((id) => !lost.has(id));
    await until(
      async () => (await tweets.countDocuments({ _id: { $in: expected } })) === expected.length,
      `all ${expected.length} published posts stored`,
      60_000,
    );
    // Exactly once: nothing but the published posts, each once (ids are unique, so counts are equal).
    expect(await tweets.countDocuments()).toBe(expected.length);
    expect(await tweets.countDocuments({ _id: { $in: [...lost] } })).toBe(0);
    // Never two stream connections open at once. A connect refused with 429 TooManyConnections (a new
    // holder while the old one's connection is still counted) is retried and is no second stream.
    expect(set.xApi.maxAcceptedConcurrentStreams).toBe(1);
  } finally {
    await client.close();
  }
}
