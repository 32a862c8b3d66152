import { DEFAULT_COLLECTION, DEFAULT_DATABASE } from '@kubeonazure/tweet-model';
import type { z } from 'zod';
import { integer, type LogLevel, logLevel, mongoUrl, nonEmpty, oneOf } from './env.js';
import { SERVICE_REGION_NAMES, type ServiceRegion, serviceRegion } from './region.js';

/**
 * The variables every service reads, with one meaning, default and check. An app's shape is
 * `{ ...serviceEnv, ...its own }`, parsed once by parseEnv. REGION is required in every app: a pod
 * without it would read from (and, for the streamer, write in) a region nobody chose; `local`
 * is the explicit value for one machine (`npm start`, region-sim's apps all name their region).
 */
export const serviceEnv = {
  MONGO_URL: mongoUrl,
  MONGO_DB: nonEmpty.default(DEFAULT_DATABASE),
  MONGO_COLLECTION: nonEmpty.default(DEFAULT_COLLECTION),
  REGION: oneOf(SERVICE_REGION_NAMES),
  /** The interface every listener binds to. */
  HOST: nonEmpty.default('0.0.0.0'),
  /** /livez, /readyz, /metrics; 0 takes a free port (tests), which the service logs. */
  OPS_PORT: integer(0, 65_535).default(9464),
  LOG_LEVEL: logLevel.default('info'),
  /** How long the service may drain after SIGTERM (Kubernetes kills at 30 s). */
  SHUTDOWN_GRACE_MS: integer(0, 600_000).default(20_000),
};

export type ServiceEnv = z.infer<z.ZodObject<typeof serviceEnv>>;

/** The part of every app's Config that comes from serviceEnv. */
export interface ServiceConfig {
  mongo: { url: string; database: string; collection: string };
  region: ServiceRegion;
  host: string;
  opsPort: number;
  logLevel: LogLevel;
  shutdownGraceMs: number;
}

/** Derives the shared part of an app's Config from its parsed variables. */
export function serviceConfig(e: ServiceEnv): ServiceConfig {
  return {
    mongo: { url: e.MONGO_URL, database: e.MONGO_DB, collection: e.MONGO_COLLECTION },
    region: serviceRegion(e.REGION),
    host: e.HOST,
    opsPort: e.OPS_PORT,
    logLevel: e.LOG_LEVEL,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
  };
}
