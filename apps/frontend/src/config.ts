import { z } from 'zod';
import { REGION_NAMES, REGIONS, type Region } from './regions.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const integer = (min: number, max: number) =>
  z.coerce
    .number({ error: `must be an integer between ${min} and ${max}` })
    .int({ error: `must be an integer between ${min} and ${max}` })
    .min(min, { error: `must be an integer between ${min} and ${max}` })
    .max(max, { error: `must be an integer between ${min} and ${max}` });

// Messages never include the value: MONGO_URL carries a password.
const envSchema = z.object({
  MONGO_URL: z
    .string({ error: 'is required' })
    .regex(/^mongodb(\+srv)?:\/\/\S+$/, { error: 'must be a mongodb:// or mongodb+srv:// connection string' }),
  MONGO_DB: z.string().min(1, { error: 'must not be empty' }).default('kubeonazure'),
  MONGO_COLLECTION: z.string().min(1, { error: 'must not be empty' }).default('tweets'),
  REGION: z.enum(REGION_NAMES, { error: `must be one of ${REGION_NAMES.join(', ')}` }),
  MONGO_READ_REGION: z.string().min(1, { error: 'must not be empty' }).optional(),
  HOST: z.string().min(1, { error: 'must not be empty' }).default('0.0.0.0'),
  PORT: integer(1, 65_535).default(8080),
  POLL_INTERVAL_MS: integer(100, 60_000).default(1000),
  READ_TIMEOUT_MS: integer(100, 300_000).default(2000),
  RATE_LIMIT_PER_MINUTE: integer(1, 1_000_000).default(300),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
});

export interface Config {
  mongoUrl: string;
  database: string;
  collection: string;
  region: Region;
  /** Azure display name for the replica read tag; undefined reads from the nearest member. */
  readRegion: string | undefined;
  host: string;
  port: number;
  pollIntervalMs: number;
  /** Deadline for one database read; past it pages answer 503 and /healthz reports the database down. */
  readTimeoutMs: number;
  /** Requests per minute per client address on the API and the event stream. */
  rateLimitPerMinute: number;
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
  const region = REGIONS[e.REGION];
  return {
    mongoUrl: e.MONGO_URL,
    database: e.MONGO_DB,
    collection: e.MONGO_COLLECTION,
    region,
    readRegion: e.MONGO_READ_REGION ?? region.azureName ?? undefined,
    host: e.HOST,
    port: e.PORT,
    pollIntervalMs: e.POLL_INTERVAL_MS,
    readTimeoutMs: e.READ_TIMEOUT_MS,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    logLevel: e.LOG_LEVEL,
  };
}
