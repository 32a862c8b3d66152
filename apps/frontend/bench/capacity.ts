// npx nx run frontend:bench:capacity: what one frontend process holds, over HTTPS as a pod with
// components/tls serves, then over plain HTTP (BENCH_PROTOCOLS=https,http). 10,000 live clients
// (BENCH_CLIENTS) on /events from many loopback addresses (MAX_STREAMS_PER_CLIENT's default each): the
// frontend process's memory (its own RSS, read from /proc; the clients run in this process); the
// broadcast of a new post to all of them, timed by the frontend from the poller's read to the last
// client's write (frontend_sse_broadcast_seconds); the database commands per second at a wire front
// (its `usage`) idle, with the live clients, and with visitors on / and /api/tweets as well; and the
// MAX_STREAMS that fits the pod's memory limit with the event streams' send-buffer budget.
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { WireFront } from '@kubeonazure/cosmos-wire-front';
import { rssBytes } from '@kubeonazure/tool-kit';
import type { TweetDocument } from '@kubeonazure/tweet-model';
import type { Collection } from 'mongodb';
import {
  answers,
  benchTls,
  type BenchTls,
  benchTweet,
  metric,
  openIdleStreams,
  pinning,
  seed,
  STREAMS_PER_ADDRESS,
  startFrontend,
  withBenchDatabase,
} from './kit.ts';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 10_000);
const POLL_INTERVAL_MS = 500;
const POSTS = 40;
const PHASE_S = 10;
const GOAL_MB = 200;
const GOAL_BROADCAST_P99_MS = 250;
const PROTOCOLS = (process.env.BENCH_PROTOCOLS ?? 'https,http').split(',') as ('https' | 'http')[];
if (!PROTOCOLS.every((protocol) => protocol === 'https' || protocol === 'http')) {
  console.error(`BENCH_PROTOCOLS: ${process.env.BENCH_PROTOCOLS} is not a list of https and http`);
  process.exit(2);
}
/** The frontend container's memory limit (deploy/k8s/base) and the share of it SSE_BUFFER_BUDGET_BYTES takes by default. */
const POD_LIMIT_BYTES = 256 * 1024 * 1024;
const SSE_BUDGET_BYTES = POD_LIMIT_BYTES / 4;
const mb = (bytes: number) => bytes / 1024 / 1024;

/** Bucket counts of `frontend_sse_broadcast_seconds` (upper bound in s -> cumulative count). */
async function broadcastBuckets(opsOrigin: string): Promise<Map<number, number>> {
  const text = await (await fetch(`${opsOrigin}/metrics`)).text();
  const buckets = new Map<number, number>();
  for (const match of text.matchAll(/^frontend_sse_broadcast_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\} (\S+)$/gm))
    buckets.set(match[1] === '+Inf' ? Infinity : Number(match[1]), Number(match[2]));
  return buckets;
}

/** The `q` quantile of the observations between two bucket readings, interpolated within its bucket (as histogram_quantile). */
function quantile(before: Map<number, number>, after: Map<number, number>, q: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  if (total === 0) return Number.NaN;
  let lower = 0;
  let below = 0;
  for (const bound of bounds) {
    const count = (after.get(bound) ?? 0) - (before.get(bound) ?? 0);
    if (count >= q * total) {
      if (bound === Infinity) return lower;
      return lower + ((bound - lower) * (q * total - below)) / Math.max(1, count - below);
    }
    lower = bound;
    below = count;
  }
  return Number.NaN;
}

/** Database commands per second at `front` while `during` runs. */
async function commandsPerSecond(front: WireFront, during: () => Promise<unknown>): Promise<number> {
  const from = front.usage.commands;
  const started = performance.now();
  await during();
  return ((front.usage.commands - from) * 1000) / (performance.now() - started);
}

await withBenchDatabase('capacity', async ({ db, writer, database, children }) => {
  const front = await WireFront.start(db.url);
  const cores = pinning();
  const tls = await benchTls();
  try {
    const tweets = writer.db(database).collection<TweetDocument>('tweets');
    await seed(tweets, 100);
    let posted = 0;
    for (const protocol of PROTOCOLS) {
      const { frontend, origin, opsOrigin } = await startFrontend(
        front.url,
        database,
        {
          POLL_INTERVAL_MS: String(POLL_INTERVAL_MS),
          // The cap is what this measures: room above the clients opened.
          MAX_STREAMS: String(CLIENTS + 1000),
        },
        cores?.server,
        protocol === 'https' ? tls : null,
      );
      children.push(frontend);
      try {
        await frontend.waitUntil('a first poll', () => answers(`${opsOrigin}/readyz`), 20_000, 200);
        console.log(
          `\n${protocol.toUpperCase()}: frontend POLL_INTERVAL_MS ${POLL_INTERVAL_MS}, ${cores ? `on core ${cores.server}, this process (the clients, autocannon) on core ${cores.generator}` : 'not pinned'}; ` +
            `database: ${db.kind} behind a wire front (counting commands), unpinned`,
        );
        await measure({ protocol, tls, origin, opsOrigin, pid: frontend.pid!, front, tweets, firstPost: posted });
        posted += POSTS;
      } finally {
        children.splice(children.indexOf(frontend), 1);
        await frontend.stop();
      }
    }
  } finally {
    // The frontend first: it is the front's client.
    await Promise.all(children.splice(0).map((child) => child.stop()));
    await front.close();
    tls.remove();
  }
});

async function measure(run: {
  protocol: 'https' | 'http';
  tls: BenchTls;
  origin: string;
  opsOrigin: string;
  pid: number;
  front: WireFront;
  tweets: Collection<TweetDocument>;
  firstPost: number;
}): Promise<void> {
  const { origin, opsOrigin, pid, front, tweets } = run;
  const idle = await commandsPerSecond(front, () => sleep(PHASE_S * 1000));
  const rssIdle = (await rssBytes(pid)) ?? Number.NaN;
  const heapIdle = await metric(opsOrigin, 'nodejs_heap_size_used_bytes');

  // Each stream notes whether the last post's card reached it.
  let marker = '';
  const got = new Array<boolean>(CLIENTS).fill(false);
  const opening = performance.now();
  const streams = await openIdleStreams(origin, opsOrigin, CLIENTS, {
    perAddress: STREAMS_PER_ADDRESS,
    timeoutMs: 180_000,
    ca: run.tls.ca,
    onData: (stream, chunk) => {
      if (marker && !got[stream] && chunk.includes(marker)) got[stream] = true;
    },
  });
  try {
    const open = await metric(opsOrigin, 'frontend_sse_clients');
    const openedS = (performance.now() - opening) / 1000;
    await sleep(3_000);
    const rssLive = (await rssBytes(pid)) ?? Number.NaN;
    // Where the memory is: V8's heap (JavaScript objects: sockets, requests, replies) or outside it.
    const heapLive = await metric(opsOrigin, 'nodejs_heap_size_used_bytes');

    const bucketsBefore = await broadcastBuckets(opsOrigin);
    const live = await commandsPerSecond(front, async () => {
      for (let i = 0; i < POSTS; i += 1) {
        const n = 1_000_000 + run.firstPost + i;
        const post = benchTweet(n, n, Date.now());
        if (i === POSTS - 1) marker = `tweet-${post._id}`;
        await tweets.insertOne(post);
        await sleep(POLL_INTERVAL_MS);
      }
      await sleep(2_000);
    });
    const bucketsAfter = await broadcastBuckets(opsOrigin);
    const reached = got.filter(Boolean).length;
    const broadcasts = (bucketsAfter.get(Infinity) ?? 0) - (bucketsBefore.get(Infinity) ?? 0);
    const p50 = quantile(bucketsBefore, bucketsAfter, 0.5) * 1000;
    const p99 = quantile(bucketsBefore, bucketsAfter, 0.99) * 1000;
    let rssMax = Math.max(rssLive, (await rssBytes(pid)) ?? 0);

    // Visitors as well: the first page and the API's, as fast as 50 connections go.
    const withVisitors = await commandsPerSecond(front, () =>
      autocannon({
        url: origin,
        connections: 50,
        duration: PHASE_S,
        requests: [{ path: '/' }, { path: '/api/tweets' }],
      }),
    );
    rssMax = Math.max(rssMax, (await rssBytes(pid)) ?? 0);

    const perClient = (rssLive - rssIdle) / Math.max(1, open);
    const perClientKb = perClient / 1024;
    console.table({
      'idle (no clients)': { 'DB commands/s': idle.toFixed(1), 'frontend RSS MB': mb(rssIdle).toFixed(0) },
      [`${open} live clients, ${POSTS} posts`]: {
        'DB commands/s': live.toFixed(1),
        'frontend RSS MB': mb(rssLive).toFixed(0),
      },
      '+ visitors on / and /api/tweets': {
        'DB commands/s': withVisitors.toFixed(1),
        'frontend RSS MB': mb(rssMax).toFixed(0),
      },
    });
    console.log(
      `${run.protocol}: ${open} of ${CLIENTS} live clients open in ${openedS.toFixed(1)} s from ${Math.ceil(CLIENTS / STREAMS_PER_ADDRESS)} addresses; ` +
        `frontend RSS ${mb(rssLive).toFixed(0)} MB (${perClientKb.toFixed(1)} KB per client over idle ${mb(rssIdle).toFixed(0)} MB), ` +
        `of which V8 heap used ${((heapLive - heapIdle) / 1024 / Math.max(1, open)).toFixed(1)} KB per client; ` +
        `most ${mb(rssMax).toFixed(0)} MB (goal: ${CLIENTS} under ${GOAL_MB} MB): ${open === CLIENTS && rssMax < GOAL_MB * 1024 * 1024 ? 'met' : 'MISSED'}`,
    );
    console.log(
      `${run.protocol}: broadcast to ${open} clients, poller's read -> last client's write (frontend_sse_broadcast_seconds, ${broadcasts} broadcasts, ` +
        `interpolated within buckets): p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms (goal < ${GOAL_BROADCAST_P99_MS} ms): ` +
        `${p99 < GOAL_BROADCAST_P99_MS ? 'met' : 'MISSED'}; the last post reached ${reached} clients`,
    );
    console.log(
      `${run.protocol}: database commands/s: ${idle.toFixed(1)} idle, ${live.toFixed(1)} with ${open} live clients, ${withVisitors.toFixed(1)} with visitors too ` +
        `(the poller alone is ${(1000 / POLL_INTERVAL_MS).toFixed(1)}/s)`,
    );
    const fits = (limit: number) => Math.max(0, Math.floor((limit - rssIdle) / perClient || 0)).toLocaleString('en');
    console.log(
      `${run.protocol}: at ${perClientKb.toFixed(1)} KB per client, ${GOAL_MB} MB holds about ${fits(GOAL_MB * 1024 * 1024)} clients; ` +
        `the pod's ${mb(POD_LIMIT_BYTES)} MiB less the default send-buffer budget (${mb(SSE_BUDGET_BYTES)} MiB) about ${fits(POD_LIMIT_BYTES - SSE_BUDGET_BYTES)} (MAX_STREAMS)`,
    );
  } finally {
    for (const stream of streams) stream.destroy();
  }
}
