// Throughput of the whole pipeline (parse -> map -> queue -> batched upsert) against its limit, a plain
// insertMany loop of the same documents and batch size into the same database, plus the pipeline's peak RSS.
// Run: npx nx run streamer:bench [-- --n 500000] [--batch 1000] [--queue 10000]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { pino } from 'pino';
import { startDevDatabase } from '@kubeonazure/dev-db';
import { mapXMessage, TweetRepository, type TweetDocument } from '@kubeonazure/tweet-model';
import { createMetrics } from '../src/ops/metrics.js';
import { Batcher } from '../src/pipeline/batcher.js';
import { Intake } from '../src/pipeline/intake.js';
import { BoundedQueue } from '../src/pipeline/queue.js';

const { values } = parseArgs({
  options: { n: { type: 'string', default: '50000' }, batch: { type: 'string', default: '1000' }, queue: { type: 'string', default: '10000' } },
});
const n = Number(values.n);
const batchSize = Number(values.batch);
const queueCapacity = Number(values.queue);

/** The n-th synthetic filtered-stream message, as the wire delivers it. */
function line(i: number): string {
  const id = String(1_997_000_000_000_000_000n + BigInt(i));
  const text = `Benchmark post ${i}: shipping containers with #docker and compose 🐳`;
  return JSON.stringify({
    data: {
      id,
      text,
      created_at: new Date(Date.UTC(2026, 10, 23) + i * 10).toISOString(),
      author_id: String(1000 + (i % 500)),
      lang: 'en',
      public_metrics: { retweet_count: i % 7, reply_count: i % 3, like_count: i % 50, quote_count: 0, bookmark_count: 1, impression_count: i % 900 },
      entities: { hashtags: [{ start: 43, end: 50, tag: 'docker' }] },
    },
    includes: { users: [{ id: String(1000 + (i % 500)), username: `bench_user_${i % 500}`, name: 'Bench User', profile_image_url: 'https://example.com/b_normal.png' }] },
    matching_rules: [{ id: '1', tag: 'docker' }],
  });
}

let peakRss = 0;
const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage.rss()));

async function runPipeline(client: MongoClient, database: string): Promise<number> {
  const log = pino({ level: 'warn' });
  const repository = TweetRepository.fromClient(client, { database });
  await repository.ensureIndexes();
  const queue = new BoundedQueue<TweetDocument>(queueCapacity);
  const metrics = createMetrics(() => queue.size);
  const intake = new Intake(queue, metrics, log);
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  const batcher = new Batcher(queue, repository, { batchSize, maxWaitMs: 100, retryMaxMs: 5_000 }, metrics, log, sleep);
  const sampler = setInterval(sampleRss, 20);
  const started = performance.now();
  batcher.start();
  for (let i = 0; i < n; i++) {
    await intake.fromLine(line(i));
    if ((i + 1) % Math.max(Math.floor(n / 10), 1) === 0) console.error(`pipeline: ${i + 1} of ${n} queued`);
  }
  const left = await batcher.drain(600_000);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  sampleRss();
  const stored = (await metrics.stored.get()).values[0]?.value ?? 0;
  if (left > 0 || stored !== n) throw new Error(`pipeline stored ${stored} of ${n}`);
  return n / seconds;
}

async function runInsertMany(client: MongoClient, database: string): Promise<number> {
  const collection = client.db(database).collection<TweetDocument>('raw');
  await collection.createIndex({ created_at: -1, _id: -1 });
  // Only the inserts are timed: documents are built outside the clock, so this is the database's limit.
  let seconds = 0;
  for (let from = 0; from < n; from += batchSize) {
    const batch: TweetDocument[] = [];
    for (let i = from; i < Math.min(from + batchSize, n); i++) {
      const mapped = mapXMessage(JSON.parse(line(i)));
      if (mapped.kind === 'tweet') batch.push(mapped.tweet);
    }
    const started = performance.now();
    await collection.insertMany(batch, { ordered: false });
    seconds += (performance.now() - started) / 1000;
  }
  return n / seconds;
}

const db = await startDevDatabase();
const client = await MongoClient.connect(db.url, { retryWrites: false });
const database = `bench_streamer_${randomBytes(4).toString('hex')}`;
try {
  console.log(`database: ${db.kind}; N = ${n}, batch size ${batchSize}, queue capacity ${queueCapacity}`);
  const baselineRss = process.memoryUsage.rss();
  const pipelineRate = await runPipeline(client, database);
  const rawRate = await runInsertMany(client, database);
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
  console.log(`pipeline (parse -> map -> queue -> batched upsert): ${pipelineRate.toFixed(0)} posts/s`);
  console.log(`insertMany loop (limit):                            ${rawRate.toFixed(0)} posts/s`);
  console.log(`ratio: ${((pipelineRate / rawRate) * 100).toFixed(1)} % of the limit (target >= 80 %)`);
  console.log(`pipeline peak RSS: ${mb(peakRss)} MB (at start ${mb(baselineRss)} MB; target < 256 MB at N = 500,000)`);
} finally {
  await client.db(database).dropDatabase();
  await client.close();
  await db.stop();
}
