import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  boolean,
  ConfigError,
  httpUrl,
  integer,
  nonEmpty,
  oneOf,
  parseEnv,
  serviceConfig,
  serviceEnv,
  type Env,
} from '@kubeonazure/service-kit';
import { DEFAULT_LEASE_COLLECTION, MAX_INSERT_BATCH } from '@kubeonazure/tweet-model';
import { z } from 'zod';
import { REPLAY_TIMESTAMPS } from './sources/replay.js';

/** The shipped synthetic sample; resolved from the app root so it works from both src/ and dist/. */
export const SAMPLE_FILE = fileURLToPath(new URL('../data/sample.jsonl', import.meta.url));

const env = {
  ...serviceEnv,
  X_BEARER_TOKEN: z.string().optional(),
  X_API_BASE_URL: httpUrl.default('https://api.x.com'),
  TRACK: z
    .string()
    .default('docker')
    .transform((value) => [
      ...new Set(
        value
          .split(',')
          .map((term) => term.trim())
          .filter(Boolean),
      ),
    ])
    .refine((terms) => terms.length > 0, { error: 'must name at least one term' }),
  STREAMER_SOURCE: oneOf(['stream', 'search', 'replay']).optional(),
  REPLAY_FILE: z.string().min(1).default(SAMPLE_FILE),
  REPLAY_RATE: z.coerce
    .number({ error: 'must be a number >= 0' })
    .min(0, { error: 'must be a number >= 0' })
    .default(10),
  REPLAY_LOOP: boolean.default(false),
  REPLAY_TIMESTAMPS: oneOf(REPLAY_TIMESTAMPS).default('as-recorded'),
  QUEUE_CAPACITY: integer(1, 1_000_000).default(10_000),
  BATCH_SIZE: integer(1, MAX_INSERT_BATCH).default(500),
  BATCH_MAX_WAIT_MS: integer(1, 600_000).default(1000),
  DB_RETRY_MAX_MS: integer(1, 600_000).default(30_000),
  STREAM_STALL_TIMEOUT_MS: integer(1, 600_000).default(30_000),
  STREAM_BACKFILL_MINUTES: integer(0, 5).default(0),
  GAP_FILL_MAX_POSTS: integer(0, 100_000).default(500),
  SEARCH_INTERVAL_MS: integer(1, 86_400_000).default(30_000),
  CREATE_INDEXES: boolean.default(true),
  LEASE: boolean.default(false),
  LEASE_TTL_MS: integer(300, 600_000).default(15_000),
  LEASE_COLLECTION: nonEmpty.default(DEFAULT_LEASE_COLLECTION),
};

export type Config = ReturnType<typeof toConfig>;

/** The kit's shared part (database, region, host, ops port, log level, grace) and the streamer's own. */
function toConfig(e: z.infer<z.ZodObject<typeof env>>) {
  return {
    ...serviceConfig(e),
    source: e.STREAMER_SOURCE ?? (e.X_BEARER_TOKEN ? 'stream' : 'replay'),
    x: { bearerToken: e.X_BEARER_TOKEN ?? null, baseUrl: e.X_API_BASE_URL, track: e.TRACK },
    replay: { file: e.REPLAY_FILE, ratePerSecond: e.REPLAY_RATE, loop: e.REPLAY_LOOP, timestamps: e.REPLAY_TIMESTAMPS },
    stream: {
      stallTimeoutMs: e.STREAM_STALL_TIMEOUT_MS,
      backfillMinutes: e.STREAM_BACKFILL_MINUTES,
      gapFillMaxPosts: e.GAP_FILL_MAX_POSTS,
    },
    search: { intervalMs: e.SEARCH_INTERVAL_MS },
    createIndexes: e.CREATE_INDEXES,
    lease: e.LEASE ? { ttlMs: e.LEASE_TTL_MS, collection: e.LEASE_COLLECTION } : null,
    pipeline: {
      queueCapacity: e.QUEUE_CAPACITY,
      batchSize: e.BATCH_SIZE,
      batchMaxWaitMs: e.BATCH_MAX_WAIT_MS,
      dbRetryMaxMs: e.DB_RETRY_MAX_MS,
    },
  } as const;
}

/** Reads the configuration from environment variables; throws a ConfigError naming the first bad variable. */
export function parseConfig(source: Env): Config {
  const config = toConfig(parseEnv(env, source));
  if (config.source !== 'replay' && !config.x.bearerToken) {
    throw new ConfigError('X_BEARER_TOKEN', `is required when STREAMER_SOURCE is ${config.source}`);
  }
  if (config.source === 'replay' && !existsSync(config.replay.file)) {
    throw new ConfigError('REPLAY_FILE', 'names a file that does not exist');
  }
  return config;
}
