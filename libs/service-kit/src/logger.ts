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
 * Written synchronously: pino's default asynchronous stdout can still be writing a line when the
 * process exits (shutdown calls process.exit), and its flush at exit then writes the later lines
 * into or before it. The apps log events, not requests, so the writes are few.
 */
export function createLogger(options: LoggerOptions, destination?: DestinationStream): Logger {
  return pino(
    { level: options.level, base: { service: options.service, region: options.region } },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

export type { Logger };
