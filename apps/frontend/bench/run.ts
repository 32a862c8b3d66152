// npx nx run frontend:bench: GET / of the built frontend against a bare Fastify route sending the same
// bytes and headers, same machine, same run, server and load generator on separate cores; then the
// memory 1,000 idle SSE clients add.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { freePort, rssBytes } from '@kubeonazure/tool-kit';
import type { TweetDocument } from '@kubeonazure/tweet-model';
import {
  answers,
  metric,
  openIdleStreams,
  pinning,
  seed,
  start,
  STREAMS_PER_ADDRESS,
  startFrontend,
  withBenchDatabase,
} from './kit.ts';

// Few enough that a poll is cheap, and polled once a minute (POLL_INTERVAL_MS's most): the measurement
// is of our code serving `/`, not of FerretDB scanning for the poller on the same cores.
const TWEETS = 1_000;
const POLL_INTERVAL_MS = 60_000;
const CONNECTIONS = 50;
const DURATION_S = 10;
const ROUNDS = 3;
const SSE_CLIENTS = 1000;
const GOAL_RATIO = 0.75;
const GOAL_P99_MS = 50;

// What a browser sends: `/` is then answered with the gzipped copy.
const BROWSER = { 'accept-encoding': 'gzip, deflate, br, zstd' };

async function load(url: string, headers: Record<string, string> = BROWSER) {
  await autocannon({ url, headers, connections: CONNECTIONS, duration: 2 }); // warm-up
  const result = await autocannon({ url, headers, connections: CONNECTIONS, duration: DURATION_S });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

/** What `/` sends a browser, as bytes on the wire: its headers (less the per-connection ones) and its gzipped body. */
function capture(url: string): Promise<{ headers: Record<string, string>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers: BROWSER }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers))
          if (
            typeof value === 'string' &&
            !['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'].includes(name)
          )
            headers[name] = value;
        resolve({ headers, body: Buffer.concat(chunks) });
      });
    })
      .on('error', reject)
      .end();
  });
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

await withBenchDatabase('bench', async ({ db, writer, database, children }) => {
  const scratch = await mkdtemp(join(tmpdir(), 'frontend-bench-'));
  const cores = pinning();
  try {
    console.log(`database: ${db.kind}; seeding ${TWEETS.toLocaleString('en')} tweets into ${database}...`);
    await seed(writer.db(database).collection<TweetDocument>('tweets'), TWEETS);

    const barePort = await freePort();
    const bareOrigin = `http://127.0.0.1:${barePort}`;
    const {
      frontend,
      origin: frontendOrigin,
      opsOrigin,
    } = await startFrontend(db.url, database, { POLL_INTERVAL_MS: String(POLL_INTERVAL_MS) }, cores?.server);
    children.push(frontend);
    // Ready when / shows the newest page: from then on it is served from the shared copy.
    await frontend.waitUntil(
      '/ showing 20 tweets',
      async () => {
        const page = await fetch(frontendOrigin).then((r) => r.text());
        return page.match(/<article class="tweet"/g)?.length === 20;
      },
      60_000,
      0,
    );
    const page = await capture(frontendOrigin);
    const bodyFile = join(scratch, 'page.json');
    await writeFile(bodyFile, JSON.stringify({ headers: page.headers, body: page.body.toString('base64') }));
    const bare = start('bench/bare-server.ts', { PORT: String(barePort), BODY_FILE: bodyFile }, cores?.server);
    children.push(bare);
    await bare.waitUntil(`an answer at ${bareOrigin}`, () => answers(bareOrigin), 20_000, 200);

    console.log(
      `limit: a bare Fastify route sending the same bytes and headers as / (${page.body.length} bytes gzipped, ` +
        `${Object.keys(page.headers).length} headers: ${Object.keys(page.headers).join(', ')})`,
    );
    console.log(
      `poller: ${TWEETS.toLocaleString('en')} tweets, read every ${POLL_INTERVAL_MS / 1000} s (fewer documents and a longer poll ` +
        'interval than production: no full scan of a large collection during the measurement)',
    );
    console.log(
      cores
        ? `cores: the servers on core ${cores.server}, autocannon on core ${cores.generator} (taskset); the database unpinned, sharing both`
        : 'cores: not pinned (fewer than two cores, or no taskset)',
    );
    console.log(`GET / with ${CONNECTIONS} connections for ${DURATION_S} s (autocannon)...`);
    // The machine is shared and its load drifts: measure in pairs (limit, then ours) and take
    // the median pair, so both sides of a ratio saw the same neighbours.
    const pairs = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const limit = await load(bareOrigin);
      const ours = await load(frontendOrigin);
      pairs.push({ limit, ours, ratio: ours.rps / limit.rps });
    }
    const plain = await load(frontendOrigin, {});
    const row = (r: Awaited<ReturnType<typeof load>>) => ({
      'req/s': Math.round(r.rps),
      p50: ms(r.p50),
      p99: ms(r.p99),
      'non-2xx': r.non2xx,
      errors: r.errors,
    });
    console.table(
      Object.fromEntries([
        ...pairs.flatMap((pair, i) => [
          [`${i + 1}. bare Fastify route (limit)`, row(pair.limit)],
          [`${i + 1}. frontend / (browser, gzip)`, { ...row(pair.ours), ratio: `${(pair.ratio * 100).toFixed(1)} %` }],
        ]),
        ['frontend / (no Accept-Encoding)', row(plain)],
      ]),
    );
    const median = pairs.toSorted((a, b) => a.ratio - b.ratio)[Math.floor(ROUNDS / 2)]!;
    const met =
      median.ratio >= GOAL_RATIO && median.ours.p99 < GOAL_P99_MS && pairs.every((pair) => pair.ours.non2xx === 0);
    console.log(
      `median pair: / at ${Math.round(median.ours.rps)} req/s = ${(median.ratio * 100).toFixed(1)} % of the bare route's ${Math.round(median.limit.rps)} (target >= ${GOAL_RATIO * 100} %), ` +
        `p50 ${ms(median.ours.p50)}, p99 ${ms(median.ours.p99)} (target < ${GOAL_P99_MS} ms): ${met ? 'met' : 'MISSED'}`,
    );

    const before = (await rssBytes(frontend.pid!)) ?? Number.NaN;
    const streams = await openIdleStreams(frontendOrigin, opsOrigin, SSE_CLIENTS, { perAddress: STREAMS_PER_ADDRESS });
    const open = await metric(opsOrigin, 'frontend_sse_clients');
    await sleep(2000);
    const added = ((await rssBytes(frontend.pid!)) ?? Number.NaN) - before;
    console.log(
      `${open} idle SSE clients add ${(added / 1024 / 1024).toFixed(1)} MB RSS (target < 100 MB): ${open === SSE_CLIENTS && added < 100 * 1024 * 1024 ? 'met' : 'MISSED'}`,
    );
    for (const stream of streams) stream.destroy();
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
});
