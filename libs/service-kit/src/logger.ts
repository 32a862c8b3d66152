import { pino, type Logger } from 'pino';
import type { LogLevel } from './env.js';

export interface LoggerOptions {
  service: 'frontend' | 'streamer';
  /** The region the process serves; null where none is set (local runs). */
  region: string | null;
  level: LogLevel;
}

/** The one logger set-up: JSON lines on stdout with the same base fields in every app. */
export function createLogger(options: LoggerOptions): Logger {
  return pino({ level: options.level, base: { service: options.service, region: options.region } });
}

export type { Logger };
