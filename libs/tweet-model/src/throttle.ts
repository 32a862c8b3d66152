import { setTimeout as sleepFor } from 'node:timers/promises';
import { MongoBulkWriteError, MongoServerError, type WriteError } from 'mongodb';

export interface ThrottleRetryOptions {
  /** Retries after the first attempt before the throttling error is rethrown. Default 10. */
  maxRetries?: number;
  /** Delay when Cosmos DB does not say how long to wait. Default 100 ms. */
  fallbackDelayMs?: number;
  /**
   * The caller's deadline for the operation, retries included, in ms from its start: a retry whose wait
   * would end at or past it is not made, and the throttling error is rethrown. Default: none.
   */
  deadlineMs?: number;
  /** Injected in tests so that no test really waits. */
  sleep?: (ms: number) => Promise<void>;
  /** The clock the deadline is measured on; injected in tests. */
  now?: () => number;
  /** Called for every throttled answer, retried or not (the streamer counts them). */
  onThrottled?: () => void;
}

// Cosmos DB for MongoDB answers "request rate is large" (429) with this server error code. The
// driver treats it as an ordinary server error and never retries it, so we do.
export const COSMOS_THROTTLED = 16500;
const DEFAULT_MAX_RETRIES = 10;
const DEFAULT_FALLBACK_DELAY_MS = 100;

/**
 * How long to wait before retrying a throttled operation: the `RetryAfterMs=N` Cosmos DB puts in the
 * message, or the fallback when it is missing; null when the error is not throttling.
 * MongoBulkWriteError extends MongoServerError and carries the code of the failed write.
 */
export function throttleDelayMs(error: unknown, fallbackDelayMs = DEFAULT_FALLBACK_DELAY_MS): number | null {
  if (!(error instanceof MongoServerError) || !isThrottled(error)) return null;
  const match = /RetryAfterMs=(\d+)/.exec(error.message);
  return match ? Number(match[1]) : fallbackDelayMs;
}

function isThrottled(error: MongoServerError): boolean {
  // A bulk write carries the code of its first failed write; retry only when every write failed that way.
  const writes = failedWrites(error);
  if (writes.length > 0) return writes.every((w) => w.code === COSMOS_THROTTLED);
  return error.code === COSMOS_THROTTLED;
}

/** The individual writes a bulk write reports as failed (the others succeeded); [] for other errors. */
export function failedWrites(error: unknown): WriteError[] {
  return error instanceof MongoBulkWriteError ? [error.writeErrors].flat() : [];
}

/**
 * Runs `op`, retrying after the server-given delay while Cosmos DB throttles it; bounded by maxRetries
 * and by the caller's deadline (a caller that has stopped waiting gains nothing from a retry, which
 * would only spend more request units).
 */
export async function withThrottleRetry<T>(op: () => Promise<T>, options: ThrottleRetryOptions = {}): Promise<T> {
  const {
    maxRetries = DEFAULT_MAX_RETRIES,
    fallbackDelayMs = DEFAULT_FALLBACK_DELAY_MS,
    deadlineMs = Infinity,
    sleep = sleepFor,
    now = Date.now,
    onThrottled,
  } = options;
  const deadline = now() + deadlineMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await op();
    } catch (error) {
      const delay = throttleDelayMs(error, fallbackDelayMs);
      if (delay !== null) onThrottled?.();
      if (delay === null || attempt >= maxRetries || now() + delay >= deadline) throw error;
      await sleep(delay);
    }
  }
}
