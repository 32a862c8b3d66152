// `npx nx run region-sim:bench`: how fresh each region is, and what losing the write region costs.
// 1. Freshness: posts published at a steady rate (BENCH_RATE, 20/s) on the X API stand-in, with 0, 150 and 300 ms of
//    lag on the standbys; per region, publication → arrival at an SSE client on /events, p50 / p95.
// 2. Failover (drill 2): West US lost (database, frontend, streamer), `failover uksouth`; the time to
//    a new lease holder, and until every remaining region's SSE client gets posts published after
//    the loss again. Plus the memory of the whole set (RSS of every process it runs).
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { pollUntil, renderTable } from '@kubeonazure/tool-kit';
import { DEFAULT_DATABASE, DEFAULT_LEASE_COLLECTION, readLease, type LeaseDocument } from '@kubeonazure/tweet-model';
import { percentile } from '../load/summary.js';
import { RegionSet } from '../region-set.js';
import { SseClient } from '../sse-client.js';

// FerretDB answers every page query with a full scan: a steady 20/s keeps the data to a few thousand posts.
const RATE = Number(process.env.BENCH_RATE ?? 20);
const SECONDS_PER_LAG = Number(process.env.BENCH_SECONDS ?? 8);
const LAGS_MS = [0, 150, 300];

/** RSS (MB) of every process of the set, by kind: this one and its descendants (PostgreSQL backends are the postmasters' children). */
async function rssOfSet(): Promise<Record<string, number>> {
  const { stdout } = await promisify(execFile)('ps', ['-eo', 'pid,ppid,rss,args', '--no-headers']);
  const rows = stdout
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .map(([pid, ppid, rss, ...args]) => ({
      pid: Number(pid),
      ppid: Number(ppid),
      rss: Number(rss),
      args: args.join(' '),
    }));
  const ours = new Set([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const row of rows) {
      if (!ours.has(row.pid) && ours.has(row.ppid)) {
        ours.add(row.pid);
        grew = true;
      }
    }
  }
  // FerretDB's own arguments name PostgreSQL: ask about it first.
  const kind = (args: string) =>
    /ferretdb/.test(args)
      ? 'ferretdb'
      : /postgres/.test(args)
        ? 'postgresql'
        : /haproxy/.test(args)
          ? 'haproxy'
          : /server\.js/.test(args)
            ? 'apps'
            : 'launcher';
  const byKind: Record<string, number> = {};
  for (const row of rows.filter((candidate) => ours.has(candidate.pid))) {
    byKind[kind(row.args)] = (byKind[kind(row.args)] ?? 0) + row.rss / 1024;
  }
  return byKind;
}

// Traffic Manager's own probe interval: the figures are about the database path, not routing.
const set = await RegionSet.start({ postsPerSecond: 0 });
try {
  const clients = set.apps.map((app) => new SseClient(app.region.name, set.frontendUrl(app.region.name), set.client));
  await sleep(3_000);
  console.log(
    `freshness: ${RATE} posts/s for ${SECONDS_PER_LAG} s per lag; publication at the X API stand-in -> SSE client`,
  );
  const rows: string[][] = [];
  for (const lag of LAGS_MS) {
    for (const app of set.apps) if (app.region.role === 'read') await set.lag(app.region.name, lag);
    const from = Date.now();
    set.feeder.start(RATE);
    await sleep(SECONDS_PER_LAG * 1000);
    set.feeder.stop();
    const to = Date.now();
    await sleep(2_000 + lag);
    for (const client of clients) {
      const latencies = client.latencies(from, to);
      rows.push([
        `${lag} ms`,
        client.region,
        String(percentile(latencies, 50)),
        String(percentile(latencies, 95)),
        String(latencies.length),
      ]);
    }
  }
  console.log(
    renderTable(['LAG ON STANDBYS', 'REGION', 'P50 MS', 'P95 MS', 'POSTS'], rows, [
      'left',
      'left',
      'right',
      'right',
      'right',
    ]),
  );
  for (const app of set.apps) if (app.region.role === 'read') await set.lag(app.region.name, 0);
  const memory = await rssOfSet();
  const total = Object.values(memory).reduce((sum, mb) => sum + mb, 0);
  const parts = Object.entries(memory).map(([name, mb]) => `${name} ${Math.round(mb)}`);
  console.log(
    `memory of the whole set: ${Math.round(total)} MB RSS (${parts.join(', ')}; shared pages counted per process)`,
  );

  // Failover, as drill 2, with posts arriving all along.
  set.feeder.start(10);
  await sleep(3_000);
  const lostAt = Date.now();
  await set.outage('westus', true);
  await set.failover('uksouth');
  const failoverDoneAt = Date.now();
  const writer = set.writerClient();
  const leases = writer.db(DEFAULT_DATABASE).collection<LeaseDocument>(DEFAULT_LEASE_COLLECTION);
  const left = () => Math.max(0, 90_000 - (Date.now() - lostAt));
  const leaseAt = await pollUntil(
    async () => {
      const lease = await readLease(leases);
      return lease?.region === 'uksouth' && lease.expiresAt.getTime() > Date.now() ? Date.now() : undefined;
    },
    { what: 'lease holder in uksouth', timeoutMs: left() },
  ).catch(() => 0);
  await writer.close();
  const fresh: Record<string, number> = {};
  await pollUntil(
    () => {
      for (const client of clients) {
        if (client.region === 'westus' || fresh[client.region]) continue;
        const arrival = client.arrivals.find((a) => a.createdAt > lostAt);
        if (arrival) fresh[client.region] = arrival.arrivedAt - lostAt;
      }
      return Object.keys(fresh).length >= 2;
    },
    { what: 'fresh pages in both remaining regions', timeoutMs: left() },
  ).catch(() => undefined);
  set.feeder.stop();
  console.log(`failover: promote + follow + fronts ${failoverDoneAt - lostAt} ms after the loss`);
  console.log(
    `failover: new lease holder (uksouth) ${leaseAt ? `${leaseAt - lostAt} ms` : 'not within 90 s'} after the loss`,
  );
  for (const [region, ms] of Object.entries(fresh))
    console.log(
      `failover: ${region} page fresh again (a post published after the loss arrives) ${ms} ms after the loss`,
    );
  for (const client of clients) client.close();
} finally {
  await set.stop();
}
