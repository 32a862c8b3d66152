// The measured process of the benchmark: only what the streamer itself loads (driver, pino, prom-client,
// the pipeline), so its RSS is the streamer's and not the harness's. Started by bench/pipeline.ts, which
// owns the database; reports { rate, startRss, peakRss } over IPC.
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { createLogger } from '@kubeonazure/service-kit';
import { TweetRepository, type TweetDocument } from '@kubeonazure/tweet-model';
import { createMetrics } from '../src/ops/metrics.js';
import { Batcher } from '../src/pipeline/batcher.js';
import { Intake } from '../src/pipeline/intake.js';
import { BoundedQueue } from '../src/pipeline/queue.js';
import { streamLine } from './messages.js';

export interface PipelineResult {
  rate: number;
  startRss: number;
  peakRss: number;
}

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    database: { type: 'string' },
    n: { type: 'string' },
    batch: { type: 'string' },
    queue: { type: 'string' },
  },
});
if (!values.url) throw new Error('--url is required: bench/pipeline.ts starts this process');
const n = Number(values.n);
const batchSize = Number(values.batch);

const client = await MongoClient.connect(values.url, { retryWrites: false });
try {
  const log = createLogger({ service: 'streamer', region: 'local', level: 'warn' });
  const repository = TweetRepository.fromClient(client, { database: values.database });
  await repository.ensureIndexes();
  const queue = new BoundedQueue<TweetDocument>(Number(values.queue));
  const metrics = createMetrics('local', () => queue.size);
  const intake = new Intake(queue, metrics, log);
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  const batcher = new Batcher(queue, repository, { batchSize, maxWaitMs: 100, retryMaxMs: 5_000 }, metrics, log, sleep);

  const startRss = process.memoryUsage.rss();
  let peakRss = startRss;
  const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage.rss()));
  const sampler = setInterval(sampleRss, 20);
  const started = performance.now();
  batcher.start();
  for (let i = 0; i < n; i++) {
    await intake.fromLine(streamLine(i));
    if ((i + 1) % Math.max(Math.floor(n / 10), 1) === 0) console.error(`pipeline: ${i + 1} of ${n} queued`);
  }
  const left = await batcher.drain(600_000);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  sampleRss();
  const stored = (await metrics.stored.get()).values[0]?.value ?? 0;
  if (left > 0 || stored !== n) throw new Error(`pipeline stored ${stored} of ${n}`);
  const result: PipelineResult = { rate: n / seconds, startRss, peakRss };
  process.send?.(result);
} finally {
  await client.close();
}
