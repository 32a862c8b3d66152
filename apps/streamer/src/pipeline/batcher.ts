import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '@kubeonazure/service-kit';
import { IncompleteInsertError, type TweetDocument, type TweetRepository } from '@kubeonazure/tweet-model';
import type { Metrics } from '../ops/metrics.js';
import type { Sleep } from '../sources/source.js';
import type { BoundedQueue } from './queue.js';
import {
  isRefusedDocument,
  permanentCause,
  writeErrorCode,
  writeFailureKind,
  type WriteFailureKind,
} from './write-errors.js';

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

/** The failure writes are in, while they fail: what is reported once, until it changes or passes. */
interface Failing {
  kind: WriteFailureKind;
  code: number | undefined;
  since: number;
}

/**
 * Moves posts from the queue to the repository in batches, one batch at a time. A failed batch is
 * held and retried with backoff (throttling is already retried inside the repository), so nothing
 * taken from the queue is lost while the process lives; the queue fills meanwhile and pauses sources.
 * A retry resends only the posts the failed insert did not store; a post the database refuses for
 * what it is (write-errors.ts) is skipped and counted. A failure is logged once (at error when it
 * needs an operator), and `healthy` is false until writes succeed again.
 */
export class Batcher {
  private readonly stopping = new AbortController();
  private readonly abandoning = new AbortController();
  private running: Promise<void> | null = null;
  private holding = 0;
  private failing: Failing | null = null;

  constructor(
    private readonly queue: BoundedQueue<TweetDocument>,
    private readonly repository: Pick<TweetRepository, 'insertNew'>,
    private readonly options: BatcherOptions,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly sleep: Sleep,
  ) {}

  /** False from a failed write until one succeeds: feeds readiness. */
  get healthy(): boolean {
    return this.failing === null;
  }

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
    const abandoned = new Promise((resolve) =>
      this.abandoning.signal.addEventListener('abort', resolve, { once: true }),
    );
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
    let pending = batch;
    for (let attempt = 1; !this.abandoning.signal.aborted; attempt++) {
      this.holding = pending.length;
      const endTimer = this.metrics.batchSeconds.startTimer();
      try {
        this.count(await this.repository.insertNew(pending));
        endTimer();
        this.recovered(attempt);
        this.holding = 0;
        return;
      } catch (error) {
        let failure: unknown = error;
        if (error instanceof IncompleteInsertError) {
          this.count(error);
          const refused = error.unstored.filter((post) => isRefusedDocument(post.error.code));
          if (refused.length > 0)
            this.refused(
              refused.map((post) => post.tweet._id),
              refused[0]!.error,
            );
          const left = error.unstored.filter((post) => !isRefusedDocument(post.error.code));
          pending = left.map((post) => post.tweet);
          if (left.length === 0) {
            this.recovered(attempt);
            this.holding = 0;
            return;
          }
          // The posts left failed with their own write error, or with the one that failed their retry.
          failure = left[0]!.error.code === undefined ? error.cause : left[0]!.error;
        }
        const retryInMs = retryDelayMs(attempt, this.options.retryMaxMs);
        this.failed(failure, { attempt, holding: pending.length, retryInMs });
        await this.sleep(retryInMs, this.abandoning.signal);
      }
    }
    this.holding = pending.length;
  }

  private count({ inserted, duplicates }: { inserted: number; duplicates: number }): void {
    this.metrics.stored.inc(inserted);
    this.metrics.duplicates.inc(duplicates);
    this.log.debug({ inserted, duplicates, queued: this.queue.size }, 'batch stored');
  }

  private recovered(attempt: number): void {
    if (!this.failing) return;
    this.log.info({ attempts: attempt, failedForMs: Date.now() - this.failing.since }, 'database writes succeed again');
    this.failing = null;
  }

  private refused(ids: string[], error: { code: number | undefined; message: string }): void {
    this.metrics.rejected.inc(ids.length);
    this.log.error({ ids, code: error.code, err: error }, 'the database refused posts; they are skipped');
  }

  /** Counts every failed attempt; logs a failure once, and again only when it changes. */
  private failed(error: unknown, context: { attempt: number; holding: number; retryInMs: number }): void {
    const kind = writeFailureKind(error);
    const code = writeErrorCode(error);
    this.metrics.batchFailures.inc({ kind });
    const known = this.failing?.kind === kind && this.failing.code === code;
    this.failing = { kind, code, since: this.failing?.since ?? Date.now() };
    const details = { ...context, kind, code, queued: this.queue.size, err: error };
    if (known) {
      this.log.debug(details, 'database writes still fail');
    } else if (kind === 'permanent') {
      this.log.error(
        { ...details, cause: permanentCause(error) ?? 'unknown' },
        'database writes fail and need an operator; holding the posts and retrying',
      );
    } else {
      this.log.warn(details, 'database writes fail; holding the posts and retrying');
    }
  }
}
