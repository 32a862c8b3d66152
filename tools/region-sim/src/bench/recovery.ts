// `npx nx run region-sim:bench`, second part: the time from a fault to each step of its recovery, for
// each drill, with the drills' shortened settings (printed), beside the production settings' bound for
// the same step (from the same rules). One set, posts arriving at 5/s all along:
// 1. read-region loss (`outage uksouth`): its /healthz 503, UK visitors moved; then restored;
// 2. lost write region (`outage westus --all`, no command): the automatic failover, the next write
//    region's streamer streams, US visitors moved; West US then restored as a read region;
// 3. hung write region (`fault <write> stall`): the holder's stream closed, its last lease's expiry,
//    the automatic failover, the next write region's streamer streams;
// then the posts lost: published and never stored.
import { pollUntil, renderTable } from '@kubeonazure/tool-kit';
import { DEFAULT_COLLECTION, DEFAULT_DATABASE } from '@kubeonazure/tweet-model';
import { DETECTION_WINDOW_MS } from '../auto-failover.js';
import { hangWriteRegion, loseReadRegion, loseWriteRegion, servedBy, streamsIn } from '../recovery.js';
import { RegionSet } from '../region-set.js';
import { failuresToDegrade, secondsToDegraded, secondsToMoveVisitors, trafficManagerProbe } from '../traffic.js';

/** The driver's default heartbeat: how late a streamer may learn of a new write region. */
const HEARTBEAT_S = 10;
const seconds = (ms: number) => (ms / 1000).toFixed(1);

const set = await RegionSet.start({ postsPerSecond: 5, probeIntervalSeconds: 2, failoverWindowMs: 5_000 });
try {
  const production = trafficManagerProbe();
  const { probe, options } = set;
  const ttlS = options.leaseTtlMs / 1000;
  console.log(
    `recovery: drills' settings: probes every ${probe.intervalSeconds} s, timeout ${probe.timeoutSeconds} s, out after ${failuresToDegrade(probe)} failures (HAProxy, no DNS); detection window ${options.failoverWindowMs / 1000} s; lease ttl ${ttlS} s; 5 posts/s`,
  );
  console.log(
    `recovery: production settings: probes every ${production.intervalSeconds} s, timeout ${production.timeoutSeconds} s, out after ${failuresToDegrade(production)} failures, DNS TTL ${production.dnsTtlSeconds} s; Cosmos DB's service-managed failover (Microsoft states no time; the simulation's default window ${DETECTION_WINDOW_MS / 1000} s); lease ttl ${ttlS} s`,
  );
  await pollUntil(() => streamsIn(set, 'westus'), { what: 'West US streaming', timeoutMs: 60_000 });
  const rows: string[][] = [];
  /** One step: measured, its bound with the drills' settings and the ratio, its bound with production's. */
  const row = (drill: string, step: string, ms: number, boundS: number, productionBound: string) =>
    rows.push([drill, step, seconds(ms), boundS.toFixed(1), (ms / 1000 / boundS).toFixed(2), productionBound]);
  // A frontend's /healthz fails with its poller's next read: poll interval + read timeout (region-set.ts
  // runs 500 + 1500 ms; production's defaults 1 + 2 s).
  const healthBoundS = 2;
  const visitorsBound = `${secondsToMoveVisitors(production)} (${secondsToDegraded(production)} + DNS TTL)`;
  // The automatic failover: the window, a check's interval and timeout (1 + 2 s), a promotion (~2 s).
  const failoverBoundS = options.failoverWindowMs / 1000 + 5;
  // A new write region's streamer: its driver's next heartbeat, one ttl for a lease written under the
  // old write region, one renewal period.
  const takeoverAfterFailoverS = HEARTBEAT_S + ttlS + ttlS / 5;
  const takeoverBound = `Cosmos DB's failover + ${takeoverAfterFailoverS}`;

  const read = await loseReadRegion(set, 'uksouth');
  row('read-region loss', '/healthz 503', read.unhealthyMs, healthBoundS, '3 (poll + read timeout)');
  row('read-region loss', `visitors on ${read.movedTo}`, read.visitorsMovedMs, secondsToDegraded(probe), visitorsBound);
  await set.restore('uksouth');
  await pollUntil(async () => (await servedBy(set, 'uk')) === 'uksouth', {
    what: 'UK visitors back on UK South',
    timeoutMs: 60_000,
  });

  const lost = await loseWriteRegion(set);
  row('lost write region', `failover to ${lost.to}`, lost.failoverMs, failoverBoundS, "Cosmos DB's (no time stated)");
  row(
    'lost write region',
    `${lost.to} streams`,
    lost.takeoverMs,
    lost.failoverMs / 1000 + takeoverAfterFailoverS,
    takeoverBound,
  );
  row(
    'lost write region',
    `visitors on ${lost.visitorsMovedTo}`,
    lost.visitorsMovedMs,
    secondsToDegraded(probe),
    visitorsBound,
  );
  await set.restore(lost.from);

  const hung = await hangWriteRegion(set);
  // The holder stops a safety margin (a fifth of the ttl) before its last claim expires.
  row('hung write region', `${hung.from}'s stream closed`, hung.holderStoppedMs, ttlS * 0.8, `${ttlS * 0.8}`);
  row('hung write region', 'its lease expires', hung.leaseExpiredMs, ttlS, `${ttlS}`);
  row('hung write region', `failover to ${hung.to}`, hung.failoverMs, failoverBoundS, "Cosmos DB's (no time stated)");
  row(
    'hung write region',
    `${hung.to} streams`,
    hung.takeoverMs,
    hung.failoverMs / 1000 + takeoverAfterFailoverS,
    takeoverBound,
  );
  await set.fault(hung.from, { kind: 'clear' });

  // Posts lost: every published post should be stored once ingest is live again.
  set.feeder.stop();
  set.feeder.publishOne();
  const published = set.feeder.published.map((post) => post.id);
  const client = set.writerClient();
  const tweets = client.db(DEFAULT_DATABASE).collection<{ _id: string }>(DEFAULT_COLLECTION);
  const stored = () => tweets.countDocuments({ _id: { $in: published } });
  await pollUntil(async () => (await stored()) === published.length, {
    what: 'every post stored',
    timeoutMs: 60_000,
  }).catch(() => undefined);
  const lostPosts = published.length - (await stored());
  await client.close();

  console.log(
    renderTable(['DRILL', 'STEP (FROM THE FAULT)', 'MEASURED S', 'BOUND S', 'RATIO', 'PRODUCTION BOUND S'], rows, [
      'left',
      'left',
      'right',
      'right',
      'right',
      'left',
    ]),
  );
  console.log(
    `recovery: ${published.length} posts published across the three drills, ${lostPosts} lost; the stand-in's most stream connections accepted at once: ${set.xApi.maxAcceptedConcurrentStreams} (at most 1: X's limit), asked for at once (refused connects included): ${set.xApi.maxConcurrentStreams}`,
  );
} finally {
  await set.stop();
}
