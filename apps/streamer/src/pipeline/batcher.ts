import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { TweetDocument, TweetRepository } from '@kubeonazure/tweet-model';
import type { Metrics } from '../ops/metrics.js';
import type { BoundedQueue } from './queue.js';

import type { Sleep } from '../sources/source.js';

export interface BatcherOptions {
  /** Documents per insert, at most 1,000 (the repository's limit). */
  batchSize: number;
  /** How long the first queued post waits for a batch to fill. */
  maxWaitMs: number;
  /** Ceiling of the backoff between retries of a failed batch. */
  retryMaxMs: number;
}

const RETRY_FIRST_MS = 500;

/** Backoff between retries of a failed batch: doubling from 500 ms up to `maxMs`. */
export function retryDelayMs(attempt: number, maxMs: number): number {
  return Math.min(RETRY_FIRST_MS * 2 ** Math.min(attempt - 1, 30), maxMs);
}

/**
 * Moves posts from the queue to the repository in batches, one batch at a time. A failed batch is
 * held and retried with backoff (throttling is already retried inside the repository), so nothing
 * taken from the queue is lost while the process lives; the queue fills meanwhile and pauses sources.
 */
export class Batcher {
  private readonly stopping = new AbortController();
  private readonly abandoning = new AbortController();
  private running: Promise<void> | null = null;
  private holding = 0;
  /** False after a failed batch until one succeeds: feeds readiness. */
  healthy = true;

  constructor(
    private readonly queue: BoundedQueue<TweetDocument>,
    private readonly repository: Pick<TweetRepository, 'insertNew'>,
    private readonly options: BatcherOptions,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly sleep: Sleep,
  ) {}

  start(): void {
    this.running ??= this.run();
  }

  /**
   * Stops waiting for full batches and stores everything queued, giving up after `graceMs`.
   * Returns how many posts were left unstored (0 when the flush completed).
   */
  async drain(graceMs: number): Promise<number> {
    this.stopping.abort();
    this.start();
    const deadline = setTimeout(() => this.abandoning.abort(), graceMs);
    // An insert in flight when the grace period ends is not waited for: closing the client ends it.
    const abandoned = new Promise((resolve) => this.abandoning.signal.addEventListener('abort', resolve, { once: true }));
    await Promise.race([this.running, abandoned]);
    clearTimeout(deadline);
    return this.queue.size + this.holding;
  }

  private async run(): Promise<void> {
    const { signal } = this.stopping;
    while ((!signal.aborted || this.queue.size > 0) && !this.abandoning.signal.aborted) {
      await this.queue.whenSize(1, signal);
      if (!signal.aborted) await this.fillOrTimeout(signal);
      const batch = this.queue.take(this.options.batchSize);
      if (batch.length > 0) await this.store(batch);
    }
  }

  private async fillOrTimeout(stopping: AbortSignal): Promise<void> {
    const done = new AbortController();
    const either = AbortSignal.any([done.signal, stopping]);
    await Promise.race([
      this.queue.whenSize(this.options.batchSize, either),
      delay(this.options.maxWaitMs, undefined, { signal: either }).catch(() => undefined),
    ]);
    done.abort();
  }

  private async store(batch: TweetDocument[]): Promise<void> {
    this.holding = batch.length;
    for (let attempt = 1; !this.abandoning.signal.aborted; attempt++) {
      const endTimer = this.metrics.batchSeconds.startTimer();
      try {
        const { inserted, duplicates } = await this.repository.insertNew(batch);
        endTimer();
        this.metrics.stored.inc(inserted);
        this.metrics.duplicates.inc(duplicates);
        if (!this.healthy) this.log.info({ attempt }, 'database writes succeed again');
        this.healthy = true;
        this.log.debug({ size: batch.length, inserted, duplicates, queued: this.queue.size }, 'batch stored');
        this.holding = 0;
        return;
      } catch (error) {
        this.healthy = false;
        this.metrics.batchFailures.inc();
        const retryInMs = retryDelayMs(attempt, this.options.retryMaxMs);
        this.log.error(
          { attempt, size: batch.length, queued: this.queue.size, retryInMs, reason: errorText(error) },
          'batch insert failed; holding the batch and retrying',
        );
        await this.sleep(retryInMs, this.abandoning.signal);
      }
    }
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
