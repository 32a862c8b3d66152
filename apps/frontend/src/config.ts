import {
  ConfigError,
  type Env,
  integer,
  nonEmpty,
  parseEnv,
  serviceConfig,
  serviceEnv,
} from '@kubeonazure/service-kit';
import { z } from 'zod';
import {
  CGROUP_MEMORY_MAX,
  DEFAULT_SSE_BUFFER_BUDGET_BYTES,
  memoryLimitBytes,
  SSE_SHARE_OF_MEMORY,
} from './sse-budget.js';

const env = {
  ...serviceEnv,
  PORT: integer(1, 65_535).default(8080),
  POLL_INTERVAL_MS: integer(100, 60_000).default(1000),
  READ_TIMEOUT_MS: integer(100, 300_000).default(2000),
  MAX_THROTTLED_PAGE_AGE_MS: integer(1000, 3_600_000).default(30_000),
  RATE_LIMIT_PER_MINUTE: integer(1, 1_000_000).default(300),
  MAX_STREAMS: integer(1, 1_000_000).default(1000),
  MAX_STREAMS_PER_CLIENT: integer(1, 10_000).default(8),
  STREAM_MAX_AGE_MS: integer(1000, 86_400_000).default(600_000),
  SSE_BUFFER_BUDGET_BYTES: integer(1024 * 1024, 2 ** 40).optional(),
  SSE_WRITE_TIMEOUT_MS: integer(1000, 600_000).default(30_000),
  SLOW_REQUEST_MS: integer(1, 600_000).default(1000),
  TLS_CERT_FILE: nonEmpty.optional(),
  TLS_KEY_FILE: nonEmpty.optional(),
  HTTPS_PORT: integer(1, 65_535).default(8443),
  PUBLIC_HOST: z
    .string()
    .regex(/^[a-z0-9.-]+$/i, { error: 'must be a host name, without scheme or port' })
    .optional(),
};

export type Config = ReturnType<typeof toConfig>;

/** The kit's shared part (database, region, host, ops port, log level, grace) and the frontend's own. */
function toConfig(e: z.infer<z.ZodObject<typeof env>>, sseBufferBudgetBytes: number) {
  return {
    ...serviceConfig(e),
    /** The public port: page, API, events, /healthz. */
    port: e.PORT,
    pollIntervalMs: e.POLL_INTERVAL_MS,
    /** Deadline for one database read; past it pages answer 503 and /healthz reports the database down. */
    readTimeoutMs: e.READ_TIMEOUT_MS,
    /** While reads are throttled, the cached page is served, and /healthz 200, up to this age. */
    maxThrottledPageAgeMs: e.MAX_THROTTLED_PAGE_AGE_MS,
    /** Requests per minute per client address on the API and the event stream. */
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    /** Open event streams per pod and per client address; beyond, 503 with Retry-After. */
    maxStreams: e.MAX_STREAMS,
    maxStreamsPerClient: e.MAX_STREAMS_PER_CLIENT,
    /** An event stream ends after this long; the browser resumes it, maybe on another pod. */
    streamMaxAgeMs: e.STREAM_MAX_AGE_MS,
    /** Unsent event-stream bytes the pod holds at most; beyond, the slowest streams are dropped. */
    sseBufferBudgetBytes,
    /** A stream whose unsent bytes have not drained for this long is dropped (it resumes by Last-Event-ID). */
    sseWriteTimeoutMs: e.SSE_WRITE_TIMEOUT_MS,
    /** A request that takes longer is logged at warn (event streams excepted). */
    slowRequestMs: e.SLOW_REQUEST_MS,
    /** HTTPS from these files (the Secret `frontend-tls` mounted), or none: plain HTTP on `port` only. */
    tls: e.TLS_CERT_FILE && e.TLS_KEY_FILE ? { certFile: e.TLS_CERT_FILE, keyFile: e.TLS_KEY_FILE } : null,
    httpsPort: e.HTTPS_PORT,
    /** The custom domain, where requests for any other name are sent (not `/healthz`); null keeps any name. */
    publicHost: e.PUBLIC_HOST?.toLowerCase() ?? null,
  };
}

/**
 * Reads the configuration; throws a ConfigError naming the first bad variable (never its value).
 * `cgroupMemoryMax` is the text of cgroup v2's `memory.max` (null without one): the event streams'
 * buffer budget is a share of the container's memory limit unless SSE_BUFFER_BUDGET_BYTES sets it.
 */
export function parseConfig(source: Env, cgroupMemoryMax: string | null = null): Config {
  const parsed = parseEnv(env, source);
  const memoryLimit = memoryLimitBytes(cgroupMemoryMax);
  if (parsed.SSE_BUFFER_BUDGET_BYTES === undefined && memoryLimit === undefined)
    throw new ConfigError('SSE_BUFFER_BUDGET_BYTES', `is unset and ${CGROUP_MEMORY_MAX} holds no byte count`);
  const sseBufferBudgetBytes =
    parsed.SSE_BUFFER_BUDGET_BYTES ??
    (memoryLimit ? Math.floor(memoryLimit * SSE_SHARE_OF_MEMORY) : DEFAULT_SSE_BUFFER_BUDGET_BYTES);
  // Both or neither: one alone is a half-done mount, not a wish for plain HTTP.
  if (parsed.TLS_CERT_FILE && !parsed.TLS_KEY_FILE)
    throw new ConfigError('TLS_KEY_FILE', 'is required with TLS_CERT_FILE');
  if (parsed.TLS_KEY_FILE && !parsed.TLS_CERT_FILE)
    throw new ConfigError('TLS_CERT_FILE', 'is required with TLS_KEY_FILE');
  const config = toConfig(parsed, sseBufferBudgetBytes);
  if (config.opsPort === config.port) throw new ConfigError('OPS_PORT', 'must differ from PORT');
  if (config.tls && (config.httpsPort === config.port || config.httpsPort === config.opsPort)) {
    throw new ConfigError('HTTPS_PORT', 'must differ from PORT and OPS_PORT');
  }
  return config;
}
