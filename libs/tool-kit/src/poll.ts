import { setTimeout as sleep } from 'node:timers/promises';

export interface PollOptions {
  /** What is awaited, for the timeout's message: `no ${what} within 30 s`. */
  what: string;
  timeoutMs: number;
  /** The pause between two checks; 100 ms unless told. */
  intervalMs?: number;
  /** Ends the wait at once with the signal's reason, e.g. when the process being waited for exits. */
  signal?: AbortSignal;
}

/**
 * Calls `check` until it returns something other than `undefined` or `false`, and returns that.
 * A check that throws counts as "not yet"; its last error becomes the timeout's cause.
 */
export async function pollUntil<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: PollOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const result = await check();
      if (result !== undefined && result !== false) return result;
    } catch (error) {
      lastError = error;
    }
    options.signal?.throwIfAborted();
    if (Date.now() >= deadline)
      throw new Error(`no ${options.what} within ${options.timeoutMs / 1000} s`, { cause: lastError });
    await sleep(options.intervalMs ?? 100);
  }
}
