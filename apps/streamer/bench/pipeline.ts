// Throughput of the whole pipeline (parse -> map -> queue -> batched insert) against its limit, a plain
// insertMany loop of the same documents and batch size into the same database, plus the pipeline's peak RSS.
// Run: npx nx run streamer:bench [-- --n 500000] [--batch 1000] [--queue 10000] [--heap pod|host]
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { startDevDatabase } from '@kubeonazure/dev-db';
import { mapXMessage, type TweetDocument } from '@kubeonazure/tweet-model';
import { streamLine } from './messages.js';
import type { PipelineResult } from './pipeline-process.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '50000' },
    batch: { type: 'string', default: '1000' },
    queue: { type: 'string', default: '10000' },
    heap: { type: 'string', default: 'pod' },
  },
});
const n = Number(values.n);
const batchSize = Number(values.batch);

// Node sizes V8's heap from the memory it may use: the cgroup limit in a pod, all of it on a bare host.
// The streamer's pod is limited to 256Mi (deploy/k8s/base/streamer/deployment.yaml), for which V8
// picks a 256 MB old space and 1 MB semi-spaces and collects soon; on a 24 GB workstation it picks a 4 GB
// old space and 32 MB semi-spaces and lets old space grow to 4x the live data before collecting. `pod`
// measures the streamer as it runs in production; `host` shows what this machine's sizing does.
const HEAP_FLAGS: Record<string, string[]> = {
  pod: ['--max-old-space-size=256', '--max-semi-space-size=1'],
  host: [],
};
const heapFlags = HEAP_FLAGS[values.heap];
if (!heapFlags) throw new Error(`--heap must be one of ${Object.keys(HEAP_FLAGS).join(', ')}`);

/** Runs the pipeline in a process of its own, so the harness (database launcher, baseline) is not measured. */
async function runPipeline(url: string, database: string): Promise<PipelineResult> {
  const args = [
    '--url',
    url,
    '--database',
    database,
    '--n',
    String(n),
    '--batch',
    String(batchSize),
    '--queue',
    values.queue,
  ];
  const child = fork(new URL('./pipeline-process.js', import.meta.url), args, { execArgv: heapFlags });
  const result = once(child, 'message') as Promise<[PipelineResult]>;
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`pipeline process exited with code ${code}`);
  return (await result)[0];
}

async function runInsertMany(client: MongoClient, database: string): Promise<number> {
  const collection = client.db(database).collection<TweetDocument>('raw');
  await collection.createIndex({ created_at: -1, _id: -1 });
  // Only the inserts are timed: documents are built outside the clock, so this is the database's limit.
  let seconds = 0;
  for (let from = 0; from < n; from += batchSize) {
    const batch: TweetDocument[] = [];
    for (let i = from; i < Math.min(from + batchSize, n); i++) {
      const mapped = mapXMessage(JSON.parse(streamLine(i)));
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
  console.log(`database: ${db.kind}; N = ${n}, batch size ${batchSize}, queue capacity ${values.queue}`);
  const pipeline = await runPipeline(db.url, database);
  const rawRate = await runInsertMany(client, database);
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
  console.log(`pipeline (parse -> map -> queue -> batched insert): ${pipeline.rate.toFixed(0)} posts/s`);
  console.log(`insertMany loop (limit):                            ${rawRate.toFixed(0)} posts/s`);
  console.log(`ratio: ${((pipeline.rate / rawRate) * 100).toFixed(1)} % of the limit (target >= 80 %)`);
  console.log(
    `pipeline peak RSS: ${mb(pipeline.peakRss)} MB (at start ${mb(pipeline.startRss)} MB; heap sized for ${values.heap}: ` +
      `${heapFlags.join(' ') || 'V8 defaults'}; target < 256 MB at N = 500,000)`,
  );
} finally {
  await client.db(database).dropDatabase();
  await client.close();
  await db.stop();
}
