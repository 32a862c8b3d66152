export {
  boolean,
  ConfigError,
  httpUrl,
  integer,
  loadConfig,
  LOG_LEVELS,
  logLevel,
  mongoUrl,
  nonEmpty,
  oneOf,
  parseEnv,
  type Env,
  type LogLevel,
} from './env.js';
export { createMetricsRegistry } from './metrics-registry.js';
export { createLogger, type Logger, type LoggerOptions } from './logger.js';
export { buildOpsServer, type MetricsRegistry, type OpsServerOptions, type ReadinessChecks } from './ops-server.js';
export { LOCAL_REGION, SERVICE_REGION_NAMES, serviceRegion, type ServiceRegion } from './region.js';
export { serviceConfig, serviceEnv, type ServiceConfig, type ServiceEnv } from './service-config.js';
export { onShutdown, type Shutdown, type ShutdownOptions } from './shutdown.js';
