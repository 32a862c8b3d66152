import { findRegion, latencyOrder, REGIONS } from '@kubeonazure/regions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getText, RegionSet } from '../src/region-set.js';
import { SseClient } from '../src/sse-client.js';
import { secondsToDegraded } from '../src/traffic.js';
import { streamingIn, until } from './drill-kit.js';

// The drain drill (issue 21): a region taken out of rotation on purpose through HAProxy's runtime API,
// as `globe drain` disables its Traffic Manager endpoint, then put back. 2 s probes and event streams
// that end after 8 s (STREAM_MAX_AGE_MS), so a live client's reconnect is seen within the drill.
const STREAM_MAX_AGE_MS = 8_000;
const DRAINED = 'uksouth';
const location = findRegion(DRAINED)!.visitorLocation;
// Where its visitors go meanwhile: the next region in latency order.
const next = latencyOrder(findRegion(DRAINED)!, REGIONS)[1]!.name;
let set: RegionSet;

beforeAll(async () => {
  set = await RegionSet.start({ postsPerSecond: 2, probeIntervalSeconds: 2, streamMaxAgeMs: STREAM_MAX_AGE_MS });
}, 180_000);

afterAll(async () => {
  await set?.stop();
}, 60_000);

/** Which region's frontend answered the visitors at `where` (the page's body says, in data-region). */
const servedBy = async (where: string) =>
  /<body data-region="([a-z0-9]+)"/.exec((await getText(set.entryUrl(where), set.client)) ?? '')?.[1] ?? null;
/** Open event streams at a region's frontend (its frontend_sse_clients gauge). */
const streamsAt = async (region: string) =>
  Number(
    /^frontend_sse_clients(?:\{[^}]*\})? (\d+)$/m.exec((await getText(set.frontendMetricsUrl(region))) ?? '')?.[1],
  );
/** A live client's reconnect: the stream's max age (up to a tenth more), then a new request. */
const reconnectBudgetMs = STREAM_MAX_AGE_MS * 1.1 + 5_000;
const probeBudgetMs = () => (secondsToDegraded(set.probe) + 2) * 1000;

describe('drain drill: a region out of rotation on purpose, and back', () => {
  it('new visitors move at once, open streams stay until their max age and reconnect elsewhere; undrain brings them back', async () => {
    await until(async () => (await servedBy(location)) === DRAINED, `${location} visitors on ${DRAINED}`, 30_000);
    // Posts arrive live (not by a late gap fill) once the write region's streamer streams.
    await streamingIn(set, REGIONS[0]!.name, 60_000);
    // A live client of the visitor entry, as a browser's EventSource: it reconnects through the entry.
    const client = new SseClient(location, set.entryUrl(location), set.client);
    try {
      await until(async () => (await streamsAt(DRAINED)) === 1, `the live client's stream on ${DRAINED}`, 10_000);
      await until(() => client.arrivals.length > 0, 'a post at the live client', 10_000);

      const drainedAt = Date.now();
      expect(await set.drain(DRAINED)).toEqual(
        REGIONS.map((region) => `visitors-${region.visitorLocation}/${DRAINED}`),
      );
      // Converges: a second drain changes nothing.
      expect(await set.drain(DRAINED)).toEqual([]);
      // New requests go elsewhere at once: maintenance needs no failed probes.
      const moved = await until(
        async () => (await servedBy(location)) === next,
        `${location} visitors on ${next}`,
        2_000,
      );
      const status = await set.status();
      expect(status.regions.map((region) => [region.region, region.drained])).toEqual(
        REGIONS.map((region) => [region.name, region.name === DRAINED]),
      );
      expect(Object.values(status.entries).map((servers) => servers[DRAINED])).toEqual(REGIONS.map(() => 'MAINT'));
      // The drained region still runs and answers its own /healthz; the other visitors are unaffected.
      expect(status.regions.find((region) => region.region === DRAINED)?.health).toBe(200);
      for (const region of REGIONS.filter((candidate) => candidate.name !== DRAINED))
        expect(await servedBy(region.visitorLocation)).toBe(region.name);

      // Maintenance leaves established connections alone: the open stream stays on the drained region
      // and keeps getting posts, until its max age ends it and the client reconnects through the entry.
      const published = set.feeder.published.length;
      await until(() => set.feeder.published.length > published + 1, 'two posts published after the drain', 5_000);
      expect(await streamsAt(DRAINED)).toBe(1);
      await until(
        async () => (await streamsAt(DRAINED)) === 0 && (await streamsAt(next)) === 1,
        `the live client reconnected to ${next}`,
        reconnectBudgetMs,
      );
      const reconnectedAt = Date.now();

      expect(await set.undrain(DRAINED)).toEqual(
        REGIONS.map((region) => `visitors-${region.visitorLocation}/${DRAINED}`),
      );
      expect(await set.undrain(DRAINED)).toEqual([]);
      const back = await until(
        async () => (await servedBy(location)) === DRAINED,
        `${location} visitors back on ${DRAINED}`,
        probeBudgetMs(),
      );
      expect((await set.status()).regions.every((region) => !region.drained)).toBe(true);
      // The live client comes back with its next reconnect.
      await until(
        async () => (await streamsAt(DRAINED)) === 1,
        `the live client back on ${DRAINED}`,
        reconnectBudgetMs,
      );

      // Nothing was lost on the way: every post published while the client was open reached it (it resumes
      // by Last-Event-ID on each reconnect).
      set.feeder.stop();
      const expected = set.feeder.published.filter((post) => post.at >= drainedAt).map((post) => post.id);
      await until(
        () => expected.every((id) => client.has(id)),
        'every post since the drain at the live client',
        10_000,
      );
      console.log(
        `drain drill: new visitors on ${next} ${moved} ms after the drain, the live client ${reconnectedAt - drainedAt} ms ` +
          `after it (streams end after ${STREAM_MAX_AGE_MS} ms); back on ${DRAINED} ${back} ms after the undrain`,
      );
    } finally {
      client.close();
    }
  }, 120_000);
});
