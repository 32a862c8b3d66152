import type { Logger } from '@kubeonazure/service-kit';
import { mapXMessage, mapXSearchPage, type TweetDocument } from '@kubeonazure/tweet-model';
import type { Metrics } from '../ops/metrics.js';
import type { BoundedQueue } from './queue.js';

const EXCERPT_LENGTH = 160;

/**
 * The front of the pipeline: turns what a source receives into documents on the queue, counting and
 * logging what it must skip (malformed input) or drop (a full queue under the live stream).
 */
export class Intake {
  private dropping = 0;

  constructor(
    private readonly queue: BoundedQueue<TweetDocument>,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  /**
   * A live-stream message: it cannot wait, so a full queue drops it (counted and logged). Says which
   * post it queued or dropped; null for a message that is no post.
   */
  fromStream(message: unknown): { queued: string } | { dropped: string } | null {
    const tweet = this.map(message);
    if (!tweet) return null;
    this.metrics.received.inc();
    if (this.queue.offer(tweet)) {
      if (this.dropping > 0) {
        this.log.warn({ dropped: this.dropping }, 'queue has room again; stream posts were dropped meanwhile');
        this.dropping = 0;
      }
      return { queued: tweet._id };
    }
    this.metrics.dropped.inc();
    if (this.dropping++ === 0) {
      this.log.error(
        { capacity: this.queue.capacity, id: tweet._id },
        'queue full: dropping live stream posts until the database catches up',
      );
    }
    return { dropped: tweet._id };
  }

  /** One JSONL line of a replay file; waits while the queue is full, until `signal` aborts. */
  async fromLine(line: string, signal?: AbortSignal): Promise<void> {
    if (line.trim() === '') return;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch (error) {
      this.malformed(line, error);
      return;
    }
    const tweet = this.map(message);
    if (tweet) await this.put(tweet, signal);
  }

  /**
   * One search/recent response page; a post that does not fit is skipped alone. Waits while the queue is
   * full, until `signal` aborts: then the rest of the page is left out (see `put`).
   */
  async fromSearchPage(page: unknown, signal?: AbortSignal): Promise<void> {
    let mapped: ReturnType<typeof mapXSearchPage>;
    try {
      mapped = mapXSearchPage(page);
    } catch (error) {
      this.malformed(page, error);
      return;
    }
    for (const { post, error } of mapped.rejected) this.malformed(post, error);
    for (const tweet of mapped.tweets) if (!(await this.put(tweet, signal))) return;
  }

  /** Counts and logs input that cannot become a document, with a short excerpt to find it by. */
  malformed(input: unknown, error: unknown): void {
    this.metrics.malformed.inc();
    const text = typeof input === 'string' ? input : JSON.stringify(input);
    this.log.warn({ excerpt: text?.slice(0, EXCERPT_LENGTH), err: error }, 'malformed message skipped');
  }

  /**
   * Queues a post of a source that can wait; false when `signal` aborted first. Such a post was not
   * taken and is not counted as received (what fetches it again: README, "Shutdown").
   */
  private async put(tweet: TweetDocument, signal?: AbortSignal): Promise<boolean> {
    const queued = await this.queue.put(tweet, signal);
    if (queued) this.metrics.received.inc();
    return queued;
  }

  private map(message: unknown): TweetDocument | null {
    try {
      const mapped = mapXMessage(message);
      if (mapped.errors.length > 0) this.log.debug({ errors: mapped.errors }, 'X reported problems with a message');
      return mapped.kind === 'tweet' ? mapped.tweet : null;
    } catch (error) {
      this.malformed(message, error);
      return null;
    }
  }
}
