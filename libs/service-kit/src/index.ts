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
export { createLogger, type Logger, type LoggerOptions } from './logger.js';
export { onShutdown, type Shutdown, type ShutdownOptions } from './shutdown.js';
