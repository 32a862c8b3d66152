// `npm run regions -- load`: a region set of its own, the load generator on every visitor entry, the
// chaos drill during the load when the baseline asks for it, and per region the figures a baseline
// checks: the entry's answers, its database front's commands and request units, its frontend's memory.
import { setTimeout as sleep } from 'node:timers/promises';
import { REGION_NAMES, REGIONS } from '@kubeonazure/regions';
import { rssBytes } from '@kubeonazure/tool-kit';
import { loseReadRegion } from '../recovery.js';
import { RegionSet } from '../region-set.js';
import type { Drill, LoadShape, LoadTestResult, RegionRow } from './baseline.js';
import { runLoad } from './generator.js';

/** Posts per second the X API stand-in publishes during the load. */
const POSTS_PER_SECOND = 5;
/** The drills' settings: routing and failover within seconds, so a short run sees them happen. */
const PROBE_INTERVAL_S = 2;
const FAILOVER_WINDOW_MS = 5_000;

export interface LoadTestOptions extends LoadShape {
  drill: Drill;
  /** Progress lines (set starting, drill steps). */
  log: (line: string) => void;
}

export async function runLoadTest(options: LoadTestOptions): Promise<LoadTestResult> {
  options.log('starting the regions...');
  const set = await RegionSet.start({
    postsPerSecond: POSTS_PER_SECOND,
    probeIntervalSeconds: PROBE_INTERVAL_S,
    failoverWindowMs: FAILOVER_WINDOW_MS,
  });
  try {
    await ready(set);
    const fronts = REGIONS.map((region) => set.tier.get(region.name).front);
    const before = fronts.map((front) => front.usage);
    const rss = new Map<string, number>();
    const sampler = setInterval(() => void sampleRss(set, rss), 1_000);
    const started = Date.now();
    const drillEvents: string[] = [];
    const log = (line: string) => {
      const entry = `${((Date.now() - started) / 1000).toFixed(1)} s: ${line}`;
      drillEvents.push(entry);
      options.log(entry);
    };
    options.log(
      `load: ${options.visitors} visitors and ${options.live} live clients per entry for ${options.durationSeconds} s` +
        `${options.drill === 'chaos' ? ', with the chaos drill' : ''}...`,
    );
    let report: Awaited<ReturnType<typeof runLoad>>;
    try {
      [report] = await Promise.all([
        runLoad({
          targets: set.entries.map((entry) => ({ name: entry.location, url: set.entryUrl(entry.location) })),
          ca: set.ca,
          visitors: options.visitors,
          liveClients: options.live,
          durationMs: options.durationSeconds * 1000,
          maxRequests: options.maxRequests,
        }),
        options.drill === 'chaos' ? chaos(set, options.durationSeconds * 1000, log) : undefined,
      ]);
    } finally {
      clearInterval(sampler);
    }
    const after = fronts.map((front) => front.usage);
    await sampleRss(set, rss);
    const seconds = report.elapsedMs / 1000;
    options.log('counting the posts...');
    const posts = await set.countPosts();
    const rows = report.targets.map((target): RegionRow => {
      const index = REGIONS.findIndex((region) => region.visitorLocation === target.target);
      const region = REGIONS[index]!.name;
      const used = after[index]!;
      const from = before[index]!;
      return {
        entry: target.target,
        region,
        requests: target.requests,
        rps: target.rps,
        p50: target.p50,
        p95: target.p95,
        p99: target.p99,
        shed: target.shed,
        failed: target.failed,
        statuses: target.statuses,
        live: target.live,
        databaseCommandsPerSecond: (used.commands - from.commands) / seconds,
        requestUnitsPerSecond: (used.requestUnits - from.requestUnits) / seconds,
        throttled: used.throttled - from.throttled,
        frontendRssMb: (rss.get(region) ?? 0) / 1024 / 1024,
      };
    });
    return { elapsedSeconds: seconds, capped: report.capped, rows, posts, drillEvents };
  } finally {
    options.log('stopping the regions...');
    await set.stop();
  }
}

/** Every region healthy, every entry on its own region, the write region's streamer holding the lease. */
async function ready(set: RegionSet, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await set.status();
    const healthy = status.regions.every((region) => region.health === 200);
    const home = REGIONS.every((region) => status.entries[region.visitorLocation]?.[region.name] === 'UP');
    const streaming = status.regions.some((region) => region.region === status.writeRegion && region.streaming);
    if (healthy && home && streaming) return;
    if (Date.now() > deadline) throw new Error(`the regions were not ready within ${timeoutMs / 1000} s`);
    await sleep(500);
  }
}

/** The most each region's frontend held so far (RSS bytes), kept in `rss`. */
async function sampleRss(set: RegionSet, rss: Map<string, number>): Promise<void> {
  for (const app of set.apps) {
    const bytes = app.frontend?.pid ? await rssBytes(app.frontend.pid) : null;
    if (bytes !== null) rss.set(app.region.name, Math.max(rss.get(app.region.name) ?? 0, bytes));
  }
}

/**
 * The chaos drill, within the load's duration: a read region loses its database (its visitors move to
 * the next region) and gets it back; then the write region loses its database, and the set fails over
 * by itself to the next in priority, whose streamer takes the lease (the posts published meanwhile come
 * through the gap fill). The old write region stays out until the set stops.
 */
async function chaos(set: RegionSet, durationMs: number, log: (line: string) => void): Promise<void> {
  const write = set.tier.writeRegion.region.name;
  const read = REGION_NAMES.find((name) => name !== write)!;
  const at = async (share: number, started: number) => {
    const wait = started + share * durationMs - Date.now();
    if (wait > 0) await sleep(wait);
  };
  const started = Date.now();
  await at(0.15, started);
  log(`${read} loses its database`);
  const loss = await loseReadRegion(set, read);
  log(
    `${read} /healthz 503 after ${(loss.unhealthyMs / 1000).toFixed(1)} s, its visitors on ${loss.movedTo} after ${(loss.visitorsMovedMs / 1000).toFixed(1)} s`,
  );
  await at(0.4, started);
  log(`${read} restored (${await set.restore(read)})`);
  await at(0.55, started);
  log(`${write}, the write region, loses its database`);
  await set.outage(write);
  const deadline = Date.now() + FAILOVER_WINDOW_MS + 30_000;
  while (set.automaticFailovers.length === 0 && Date.now() < deadline) await sleep(200);
  const failover = set.automaticFailovers[0];
  log(
    failover
      ? `automatic failover ${failover.from} -> ${failover.to} after ${(failover.afterMs / 1000).toFixed(1)} s`
      : 'no automatic failover',
  );
}
