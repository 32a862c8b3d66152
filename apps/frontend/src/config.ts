import {
  ConfigError,
  integer,
  logLevel,
  mongoUrl,
  nonEmpty,
  oneOf,
  parseEnv,
  type Env,
  type LogLevel,
} from '@kubeonazure/service-kit';
import { DEFAULT_COLLECTION, DEFAULT_DATABASE } from '@kubeonazure/tweet-model';
import { SERVED_REGION_NAMES, servedRegion, type ServedRegion } from './regions.js';

const envSchema = {
  MONGO_URL: mongoUrl,
  MONGO_DB: nonEmpty.default(DEFAULT_DATABASE),
  MONGO_COLLECTION: nonEmpty.default(DEFAULT_COLLECTION),
  REGION: oneOf(SERVED_REGION_NAMES),
  HOST: nonEmpty.default('0.0.0.0'),
  PORT: integer(1, 65_535).default(8080),
  OPS_PORT: integer(1, 65_535).default(9464),
  POLL_INTERVAL_MS: integer(100, 60_000).default(1000),
  READ_TIMEOUT_MS: integer(100, 300_000).default(2000),
  RATE_LIMIT_PER_MINUTE: integer(1, 1_000_000).default(300),
  MAX_STREAMS: integer(1, 1_000_000).default(2000),
  MAX_STREAMS_PER_CLIENT: integer(1, 10_000).default(8),
  STREAM_MAX_AGE_MS: integer(1000, 86_400_000).default(600_000),
  SHUTDOWN_GRACE_MS: integer(0, 600_000).default(20_000),
  LOG_LEVEL: logLevel.default('info'),
};

export interface Config {
  mongoUrl: string;
  database: string;
  collection: string;
  region: ServedRegion;
  host: string;
  port: number;
  /** `/metrics`, on its own port: not behind the public Service. */
  opsPort: number;
  pollIntervalMs: number;
  /** Deadline for one database read; past it pages answer 503 and /healthz reports the database down. */
  readTimeoutMs: number;
  /** Requests per minute per client address on the API and the event stream. */
  rateLimitPerMinute: number;
  /** Open event streams per pod and per client address; beyond, 503 with Retry-After. */
  maxStreams: number;
  maxStreamsPerClient: number;
  /** An event stream ends after this long; the browser resumes it, maybe on another pod. */
  streamMaxAgeMs: number;
  /** In-flight requests and event streams get this long after SIGTERM (Kubernetes kills at 30 s). */
  shutdownGraceMs: number;
  logLevel: LogLevel;
}

/** Reads the configuration; throws a ConfigError naming the first bad variable (never its value). */
export function parseConfig(env: Env): Config {
  const e = parseEnv(envSchema, env);
  if (e.OPS_PORT === e.PORT) throw new ConfigError('OPS_PORT', 'must differ from PORT');
  return {
    mongoUrl: e.MONGO_URL,
    database: e.MONGO_DB,
    collection: e.MONGO_COLLECTION,
    region: servedRegion(e.REGION),
    host: e.HOST,
    port: e.PORT,
    opsPort: e.OPS_PORT,
    pollIntervalMs: e.POLL_INTERVAL_MS,
    readTimeoutMs: e.READ_TIMEOUT_MS,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    maxStreams: e.MAX_STREAMS,
    maxStreamsPerClient: e.MAX_STREAMS_PER_CLIENT,
    streamMaxAgeMs: e.STREAM_MAX_AGE_MS,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    logLevel: e.LOG_LEVEL,
  };
}
