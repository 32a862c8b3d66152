import closeWithGrace from 'close-with-grace';
import type { Logger } from './logger.js';

export interface ShutdownOptions {
  /** How long `close` may take before the process exits 1 anyway. */
  graceMs: number;
  log: Logger;
}

export interface Shutdown {
  /** Shuts down because the service failed by itself: runs `close`, then exits 1. */
  fail(error: unknown): void;
}

/**
 * SIGTERM, SIGINT, an uncaught error or `fail` run `close` once; the process then exits 0, or 1
 * after an error, a failure, a `close` that throws, or a `close` still running after graceMs. A
 * second signal exits 1 at once.
 */
export function onShutdown(options: ShutdownOptions, close: () => Promise<void>): Shutdown {
  const { log } = options;
  let failure: unknown;
  const handler = closeWithGrace(
    {
      delay: options.graceMs,
      logger: { error: (message: unknown) => log.error(typeof message === 'string' ? message : { err: message }) },
    },
    async ({ signal, err }) => {
      if (err) log.fatal({ err }, 'stopping after an unexpected error');
      else if (failure !== undefined) log.fatal({ err: failure }, 'stopping after a failure');
      else log.info({ signal, graceMs: options.graceMs }, 'stopping');
      await close();
      // close-with-grace exits 0 after a manual close: an exception is how it learns of the failure.
      if (failure !== undefined) throw new Error('stopped after a failure');
    },
  );
  return {
    fail(error) {
      if (failure !== undefined) return;
      failure = error;
      void handler.close();
    },
  };
}
