import { z } from 'zod';
import { REGION_NAMES, regionNamed, type Region } from './regions.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const integer = (min: number, max: number) =>
  z.coerce
    .number({ error: `must be an integer between ${min} and ${max}` })
    .int({ error: `must be an integer between ${min} and ${max}` })
    .min(min, { error: `must be an integer between ${min} and ${max}` })
    .max(max, { error: `must be an integer between ${min} and ${max}` });

// Messages never include the value: MONGO_URL carries a password.
const envSchema = z.object({
  // Trimmed: a secret piped from `az ... -o tsv` ends with a newline.
  MONGO_URL: z
    .string({ error: 'is required' })
    .trim()
    .regex(/^mongodb(\+srv)?:\/\/\S+$/, { error: 'must be a mongodb:// or mongodb+srv:// connection string' }),
  MONGO_DB: z.string().min(1, { error: 'must not be empty' }).default('kubeonazure'),
  MONGO_COLLECTION: z.string().min(1, { error: 'must not be empty' }).default('tweets'),
  REGION: z.enum(REGION_NAMES, { error: `must be one of ${REGION_NAMES.join(', ')}` }),
  HOST: z.string().min(1, { error: 'must not be empty' }).default('0.0.0.0'),
  PORT: integer(1, 65_535).default(8080),
  OPS_PORT: integer(1, 65_535).default(9464),
  POLL_INTERVAL_MS: integer(100, 60_000).default(1000),
  READ_TIMEOUT_MS: integer(100, 300_000).default(2000),
  RATE_LIMIT_PER_MINUTE: integer(1, 1_000_000).default(300),
  MAX_STREAMS: integer(1, 1_000_000).default(2000),
  MAX_STREAMS_PER_CLIENT: integer(1, 10_000).default(8),
  STREAM_MAX_AGE_MS: integer(1000, 86_400_000).default(600_000),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
});

export interface Config {
  mongoUrl: string;
  database: string;
  collection: string;
  region: Region;
  /** Azure display name for the replica read tag, from REGION; undefined reads from the nearest member. */
  readRegion: string | undefined;
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
  logLevel: (typeof LOG_LEVELS)[number];
}

/** A configuration problem, described in one line that names the variable (and never shows its value). */
export class ConfigError extends Error {}

export function parseConfig(env: Record<string, string | undefined>): Config {
  // An empty variable (`PORT=`) means "not set", as in most shells' and Kubernetes' usage.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = envSchema.safeParse(present);
  if (!result.success) {
    const issue = result.error.issues[0];
    const variable = String(issue?.path[0] ?? 'environment');
    throw new ConfigError(`Invalid configuration: ${variable} ${issue?.message ?? 'is invalid'}`);
  }
  const e = result.data;
  if (e.OPS_PORT === e.PORT) throw new ConfigError('Invalid configuration: OPS_PORT must differ from PORT');
  const region = regionNamed(e.REGION);
  return {
    mongoUrl: e.MONGO_URL,
    database: e.MONGO_DB,
    collection: e.MONGO_COLLECTION,
    region,
    readRegion: region.azureName ?? undefined,
    host: e.HOST,
    port: e.PORT,
    opsPort: e.OPS_PORT,
    pollIntervalMs: e.POLL_INTERVAL_MS,
    readTimeoutMs: e.READ_TIMEOUT_MS,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    maxStreams: e.MAX_STREAMS,
    maxStreamsPerClient: e.MAX_STREAMS_PER_CLIENT,
    streamMaxAgeMs: e.STREAM_MAX_AGE_MS,
    logLevel: e.LOG_LEVEL,
  };
}
