import { setTimeout as delay } from 'node:timers/promises';
import { buildOpsServer, createLogger, type Logger } from '@kubeonazure/service-kit';
import {
  createClient,
  keepConnecting,
  LEASE_NAME,
  TweetRepository,
  type LeaseDocument,
  type TweetDocument,
} from '@kubeonazure/tweet-model';
import type { Config } from './config.js';
import { leaseHolderId } from './lease/identity.js';
import { leaseTerms } from './lease/lease.js';
import { DatabaseClock, helloLocalTime } from './lease/database-clock.js';
import { LeaseStore } from './lease/lease-store.js';
import { LeasedSource, type LeaseGuard } from './lease/leased-source.js';
import { watchWriteRegion, type WriteRegionWatch } from './lease/write-region.js';
import { createMetrics, type Metrics } from './ops/metrics.js';
import { Batcher } from './pipeline/batcher.js';
import { Intake } from './pipeline/intake.js';
import { BoundedQueue } from './pipeline/queue.js';
import { ReplaySource } from './sources/replay.js';
import { SearchSource } from './sources/search.js';
import type { Sleep, Source } from './sources/source.js';
import { GapFill } from './sources/gap-fill.js';
import { StreamSource } from './sources/stream.js';
import { XApiClient } from './sources/x-client.js';

/** What tests replace: the logger, and how the app waits out policy delays (reconnects, retries). */
export interface AppDependencies {
  logger?: Logger;
  sleep?: Sleep;
}

export interface App {
  /**
   * The kit's ops server, unstarted: /livez, /readyz (database answers a ping, source connected
   * (a finished replay counts), writes succeed), /metrics. server.ts listens on OPS_PORT.
   */
  ops: ReturnType<typeof buildOpsServer>;
  metrics: Metrics;
  /** Settles when the source ends by itself (a replay at the end of its file) or after `stop`. */
  sourceDone: Promise<void>;
  /** Stops the source and flushes the queue within `graceMs`; returns how many posts were left unstored. */
  stop(graceMs: number): Promise<number>;
}

const PING_TIMEOUT_MS = 2_000;

const abortableSleep: Sleep = (ms, signal) =>
  delay(ms, undefined, signal ? { signal } : {}).catch((error: unknown) => {
    if (!signal?.aborted) throw error;
  });

/**
 * Starts the pipeline and the configured source on a database client that connects on first use: with
 * the database down, the process still starts, serves its ops endpoints (/readyz says `database: false`)
 * and catches up by itself once the database answers (writes are held and retried, indexes created then).
 */
export async function startApp(config: Config, dependencies: AppDependencies = {}): Promise<App> {
  const log =
    dependencies.logger ??
    createLogger({ service: 'streamer', region: config.region.name, level: config.logLevel }).child({
      source: config.source,
    });
  const sleep = dependencies.sleep ?? abortableSleep;
  const client = createClient(config.mongo.url, { role: 'writer' });
  // Which region is the write region now, from the driver's view of the replica set (it moves on a failover).
  const writeRegion: WriteRegionWatch = watchWriteRegion(client, config.region.displayName);
  const queue = new BoundedQueue<TweetDocument>(config.pipeline.queueCapacity);
  // The database's clock, which the lease's times are written and compared in.
  const databaseClock = new DatabaseClock(() => helloLocalTime(client.db(config.mongo.database), PING_TIMEOUT_MS));
  const metrics = createMetrics(
    config.region.name,
    () => queue.size,
    async () => {
      await databaseClock.refresh();
      const now = databaseClock.at();
      return now === null ? null : (now.earliest + now.latest) / 2 - Date.now();
    },
  );
  const repository = TweetRepository.fromClient(client, {
    database: config.mongo.database,
    collection: config.mongo.collection,
    onThrottled: (operation) => metrics.databaseThrottled.inc({ operation }),
  });
  // Connects (a failed first connect-on-use is not retried by the driver) and creates the indexes, in the
  // background. In production the deploy script creates them, and the streamer's database user may not.
  const indexes = new AbortController();
  void keepConnecting(client, {
    retryMaxMs: config.pipeline.dbRetryMaxMs,
    signal: indexes.signal,
    sleep,
    andThen: () => (config.createIndexes ? repository.ensureIndexes() : Promise.resolve()),
    onRetry: (error, delayMs) =>
      log.warn({ err: error, delayMs }, 'cannot connect and create the indexes yet; retrying'),
  }).then(
    (connected) =>
      connected && log.info(config.createIndexes ? 'database connected, indexes ensured' : 'database connected'),
  );

  const intake = new Intake(queue, metrics, log);
  const batcher = new Batcher(
    queue,
    repository,
    {
      batchSize: config.pipeline.batchSize,
      maxWaitMs: config.pipeline.batchMaxWaitMs,
      retryMaxMs: config.pipeline.dbRetryMaxMs,
    },
    metrics,
    log,
    sleep,
  );
  const makeSource = (lease?: LeaseGuard) => createSource(config, repository, intake, metrics, log, sleep, lease);
  // With LEASE=true every region runs a streamer and only the lease holder's source runs.
  const terms = config.lease ? leaseTerms(config.lease.ttlMs) : null;
  const source: Source =
    config.lease && terms
      ? new LeasedSource(
          new LeaseStore(
            client.db(config.mongo.database).collection<LeaseDocument>(config.lease.collection),
            LEASE_NAME,
            terms,
            () => metrics.databaseThrottled.inc({ operation: 'lease' }),
          ),
          makeSource,
          terms,
          { holder: leaseHolderId(config.region.name), region: config.region.name, writeRegion: () => writeRegion() },
          log,
          sleep,
          {
            holding: (holding) => metrics.leaseHeld.set(holding ? 1 : 0),
            validUntil: (until) => metrics.leaseValidUntil.set(until === null ? 0 : until / 1000),
          },
          { database: databaseClock },
        )
      : makeSource();
  batcher.start();
  const sourceDone = source.run();
  log.info(
    { database: config.mongo.database, collection: config.mongo.collection, track: config.x.track },
    'streamer started',
  );

  const ops = buildOpsServer({
    registry: metrics.registry,
    readiness: {
      database: () =>
        Promise.race([
          client
            .db(config.mongo.database)
            .command({ ping: 1 })
            .then(() => true),
          delay(PING_TIMEOUT_MS, false),
        ]),
      source: () => source.connected,
      // False while database writes fail (the posts are held and retried).
      writes: () => batcher.healthy,
    },
  });

  return {
    ops,
    metrics,
    sourceDone,
    async stop(graceMs) {
      const started = Date.now();
      indexes.abort();
      source.stop();
      // A source blocked on a full queue (database down) may not finish within the grace period.
      const graceOver = new AbortController();
      await Promise.race([
        sourceDone.catch(() => undefined),
        delay(graceMs, undefined, { signal: graceOver.signal }).catch(() => undefined),
      ]);
      graceOver.abort();
      const left = await batcher.drain(Math.max(graceMs - (Date.now() - started), 0));
      if (left > 0) log.error({ left }, 'grace period over: posts left unstored');
      else log.info('queue flushed');
      await client.close(left > 0);
      return left;
    },
  };
}

function createSource(
  config: Config,
  repository: TweetRepository,
  intake: Intake,
  metrics: Metrics,
  log: Logger,
  sleep: Sleep,
  lease?: LeaseGuard,
): Source {
  if (config.source === 'replay') return new ReplaySource(config.replay, intake, log, sleep);
  // parseConfig guarantees a token for the X API sources.
  const client = new XApiClient(config.x.bearerToken ?? '', config.x.baseUrl);
  if (config.source === 'search') {
    const options = { track: config.x.track, intervalMs: config.search.intervalMs };
    return new SearchSource(client, options, () => repository.newestId(), intake, metrics, log, sleep);
  }
  const gapFill = new GapFill(
    client,
    { track: config.x.track, maxPosts: config.stream.gapFillMaxPosts },
    intake,
    metrics,
    log,
    sleep,
  );
  return new StreamSource(
    client,
    {
      track: config.x.track,
      stallTimeoutMs: config.stream.stallTimeoutMs,
      backfillMinutes: config.stream.backfillMinutes,
      ...(lease ? { lease } : {}),
    },
    intake,
    gapFill,
    () => repository.newestId(),
    metrics,
    log,
    sleep,
  );
}
