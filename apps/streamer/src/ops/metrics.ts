import { createMetricsRegistry } from '@kubeonazure/service-kit';
import { REPOSITORY_OPERATIONS } from '@kubeonazure/tweet-model';
import { Counter, Gauge, Histogram } from 'prom-client';

/**
 * The streamer's Prometheus metrics, in the kit's registry (`region` on every series).
 * `databaseClockOffsetMs` is asked at each scrape (the lease runs on the database's clock, not this host's).
 */
export function createMetrics(
  region: string,
  queueDepth: () => number,
  databaseClockOffsetMs: () => Promise<number | null> = async () => null,
) {
  const registry = createMetricsRegistry(region);
  const registers = [registry];
  return {
    registry,
    received: new Counter({
      name: 'streamer_tweets_received_total',
      help: 'Posts taken from the source and mapped (before the queue)',
      registers,
    }),
    stored: new Counter({ name: 'streamer_tweets_stored_total', help: 'Posts inserted as new documents', registers }),
    duplicates: new Counter({
      name: 'streamer_tweets_duplicates_total',
      help: 'Posts that were already stored (reconnects, polling overlap, replays)',
      registers,
    }),
    dropped: new Counter({
      name: 'streamer_tweets_dropped_total',
      help: 'Posts from the live stream dropped because the queue was full',
      registers,
    }),
    malformed: new Counter({
      name: 'streamer_messages_malformed_total',
      help: 'Lines or payloads that could not be parsed or mapped, skipped',
      registers,
    }),
    queueDepth: new Gauge({
      name: 'streamer_queue_depth',
      help: 'Posts waiting in the queue',
      registers,
      collect() {
        this.set(queueDepth());
      },
    }),
    batchSeconds: new Histogram({
      name: 'streamer_batch_duration_seconds',
      help: 'Duration of one batched insert',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    batchFailures: new Counter<'kind'>({
      name: 'streamer_batch_failures_total',
      help: 'Batched inserts that failed and were retried, by kind: transient or permanent (needs an operator)',
      labelNames: ['kind'],
      registers,
    }),
    rejected: new Counter({
      name: 'streamer_tweets_rejected_total',
      help: 'Posts the database refused for what they are (too large, failing validation), skipped',
      registers,
    }),
    gapFillPosts: new Counter({
      name: 'streamer_gap_fill_posts_total',
      help: 'Posts fetched through recent search to fill a stream gap (some may be duplicates)',
      registers,
    }),
    gapFills: new Counter<'result'>({
      name: 'streamer_gap_fills_total',
      help: 'Gap fills after a stream (re)connect by result: complete, truncated (GAP_FILL_MAX_POSTS), failed',
      labelNames: ['result'],
      registers,
    }),
    // Gaps, not posts: nothing the streamer receives says how many posts a lost gap held (README,
    // after the metrics table).
    unrecoverableGaps: new Counter<'reason'>({
      name: 'streamer_gaps_unrecoverable_total',
      help: 'Gaps (not posts: their number is unknown) whose posts are lost, by reason: beyond-window (older than recent search reaches), fill-failed (a gap fill failed twice)',
      labelNames: ['reason'],
      registers,
    }),
    leaseHeld: new Gauge({
      name: 'streamer_ingest_lease_held',
      help: '1 while this streamer holds the ingest lease and runs its source (LEASE=true), else 0',
      registers,
    }),
    leaseValidUntil: new Gauge({
      name: 'streamer_ingest_lease_valid_until_seconds',
      help: "Until when (Unix time, this host's clock) the holder acts on its ingest lease claim; 0 when not holding",
      registers,
    }),
    databaseClockOffset: new Gauge({
      name: 'streamer_database_clock_offset_seconds',
      help: "How far the database's clock (hello localTime) is ahead of this host's; the ingest lease's times are the database's",
      registers,
      async collect() {
        const offset = await databaseClockOffsetMs().catch(() => null);
        if (offset !== null) this.set(offset / 1000);
      },
    }),
    databaseThrottled: new Counter<'operation'>({
      name: 'streamer_database_throttled_total',
      help: 'Answers 16500 (Cosmos DB request rate too large) to a database operation, each retry counted',
      labelNames: ['operation'],
      registers,
      // Every operation's series exists from the start, so a rate is 0 before the first throttle, not absent.
      collect() {
        for (const operation of [...REPOSITORY_OPERATIONS, 'lease']) this.inc({ operation }, 0);
      },
    }),
    reconnects: new Counter<'reason'>({
      name: 'streamer_reconnects_total',
      help: 'Stream reconnects by the reason of the disconnect',
      labelNames: ['reason'],
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
