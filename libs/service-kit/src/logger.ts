import { type DestinationStream, type Logger, pino } from 'pino';
import type { LogLevel } from './env.js';

export interface LoggerOptions {
  service: 'frontend' | 'streamer';
  /** The REGION the process serves (`local` on one machine). */
  region: string;
  level: LogLevel;
}

/**
 * The one logger set-up: JSON lines on stdout (or `destination`, for tests that read them) with
 * the same base fields in every app. Errors go under `err`, pino's standard serializer.
 */
export function createLogger(options: LoggerOptions, destination?: DestinationStream): Logger {
  return pino({ level: options.level, base: { service: options.service, region: options.region } }, destination);
}

export type { Logger };
