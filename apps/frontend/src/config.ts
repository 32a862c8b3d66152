import { ConfigError, type Env, integer, parseEnv, serviceConfig, serviceEnv } from '@kubeonazure/service-kit';
import type { z } from 'zod';

const env = {
  ...serviceEnv,
  PORT: integer(1, 65_535).default(8080),
  POLL_INTERVAL_MS: integer(100, 60_000).default(1000),
  READ_TIMEOUT_MS: integer(100, 300_000).default(2000),
  RATE_LIMIT_PER_MINUTE: integer(1, 1_000_000).default(300),
  MAX_STREAMS: integer(1, 1_000_000).default(2000),
  MAX_STREAMS_PER_CLIENT: integer(1, 10_000).default(8),
  STREAM_MAX_AGE_MS: integer(1000, 86_400_000).default(600_000),
};

export type Config = ReturnType<typeof toConfig>;

/** The kit's shared part (database, region, host, ops port, log level, grace) and the frontend's own. */
function toConfig(e: z.infer<z.ZodObject<typeof env>>) {
  return {
    ...serviceConfig(e),
    /** The public port: page, API, events, /healthz. */
    port: e.PORT,
    pollIntervalMs: e.POLL_INTERVAL_MS,
    /** Deadline for one database read; past it pages answer 503 and /healthz reports the database down. */
    readTimeoutMs: e.READ_TIMEOUT_MS,
    /** Requests per minute per client address on the API and the event stream. */
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    /** Open event streams per pod and per client address; beyond, 503 with Retry-After. */
    maxStreams: e.MAX_STREAMS,
    maxStreamsPerClient: e.MAX_STREAMS_PER_CLIENT,
    /** An event stream ends after this long; the browser resumes it, maybe on another pod. */
    streamMaxAgeMs: e.STREAM_MAX_AGE_MS,
  };
}

/** Reads the configuration; throws a ConfigError naming the first bad variable (never its value). */
export function parseConfig(source: Env): Config {
  const config = toConfig(parseEnv(env, source));
  if (config.opsPort === config.port) throw new ConfigError('OPS_PORT', 'must differ from PORT');
  return config;
}
