import type { Logger } from '@kubeonazure/service-kit';
import { ApiResponseError, type TwitterRateLimit } from 'twitter-api-v2';
import type { Metrics } from '../ops/metrics.js';
import type { Intake } from '../pipeline/intake.js';
import { beyondWindow, sinceIdRefused, windowStartTime } from './recent-window.js';
import type { Sleep, Source } from './source.js';
import { TWEET_QUERY, type XApiClient } from './x-client.js';

export interface SearchSourceOptions {
  track: readonly string[];
  intervalMs: number;
}

/** The id of the newest stored post, or null: where polling resumes after a restart. */
export type NewestStoredId = () => Promise<string | null>;

interface SearchPage {
  meta?: { newest_id?: string; next_token?: string };
}

const MAX_RESULTS = 100;
// When X answers 429 without a usable reset header, wait one rate-limit window.
const RATE_LIMIT_FALLBACK_MS = 15 * 60_000;

/** The terms of TRACK as one search query matching any of them. */
export function searchQuery(track: readonly string[]): string {
  return track.map((term) => (term.includes(' ') ? `(${term})` : term)).join(' OR ');
}

/**
 * Polls GET /2/tweets/search/recent, for accounts without filtered-stream access. Paging follows X's
 * since_id pattern: within one poll, follow next_token under the same since_id; the newest_id of a
 * poll's first page becomes the next poll's since_id. The first since_id is the newest stored post's,
 * so a restart resumes where the last run stopped; only with nothing stored does the first poll take
 * just the newest page instead of paging back through seven days of history. A since_id X refuses as
 * older than its window is given up (counted, logged): polls page from the window's start instead until
 * one finds a post, whose id becomes the since_id.
 */
export class SearchSource implements Source {
  private readonly stopping = new AbortController();
  private sinceId: string | undefined;
  /** Set when X refused the since_id as too old: page from the window's start until a post is found. */
  private fromWindowStart = false;
  private seeded = false;
  connected = false;

  constructor(
    private readonly client: XApiClient,
    private readonly options: SearchSourceOptions,
    private readonly newestStoredId: NewestStoredId,
    private readonly intake: Intake,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly sleep: Sleep,
    private readonly now: () => number = Date.now,
  ) {}

  async run(): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      const waitMs = await this.poll();
      await this.sleep(waitMs, signal);
    }
  }

  stop(): void {
    this.stopping.abort();
  }

  /** One poll (all its pages); returns how long to wait before the next one. */
  private async poll(): Promise<number> {
    if (!(await this.seed())) return this.options.intervalMs;
    const position = this.sinceId
      ? { since_id: this.sinceId }
      : this.fromWindowStart
        ? { start_time: windowStartTime(this.now()) }
        : {};
    const query = { ...TWEET_QUERY, query: searchQuery(this.options.track), max_results: MAX_RESULTS, ...position };
    // Without a position the first poll takes only the newest page.
    const paging = Object.keys(position).length > 0;
    let newestId: string | undefined;
    let nextToken: string | undefined;
    let pages = 0;
    try {
      do {
        const response = await this.client.get<SearchPage>(
          'tweets/search/recent',
          nextToken ? { ...query, next_token: nextToken } : query,
          { fullResponse: true },
        );
        this.connected = true;
        pages++;
        if (pages === 1) newestId = response.data.meta?.newest_id;
        await this.intake.fromSearchPage(response.data, this.stopping.signal);
        // Stopped, maybe midway through the page: the since_id stays behind what was not queued.
        if (this.stopping.signal.aborted) return 0;
        nextToken = paging ? response.data.meta?.next_token : undefined;
        const limitedMs = this.rateLimitWaitMs(response.rateLimit);
        if (nextToken && limitedMs > 0) await this.sleep(limitedMs, this.stopping.signal);
        if (!nextToken) {
          this.advance(newestId, pages);
          return Math.max(this.options.intervalMs, limitedMs);
        }
      } while (!this.stopping.signal.aborted);
      return 0;
    } catch (error) {
      this.connected = false;
      if (this.sinceId && sinceIdRefused(error)) {
        beyondWindow(this.metrics, this.log, this.sinceId, windowStartTime(this.now()));
        this.sinceId = undefined;
        this.fromWindowStart = true;
        return this.poll();
      }
      // The since_id stays: the next poll asks again for everything this one may have missed.
      if (error instanceof ApiResponseError && error.code === 429) {
        const waitMs = this.rateLimitWaitMs(error.rateLimit) || RATE_LIMIT_FALLBACK_MS;
        this.log.warn({ waitMs }, 'search rate limit reached; waiting for the reset');
        return waitMs;
      }
      this.log.warn({ err: error }, 'search poll failed');
      return this.options.intervalMs;
    }
  }

  /** Takes the first since_id from the database; false while it cannot be read (then no poll runs). */
  private async seed(): Promise<boolean> {
    if (this.seeded) return true;
    try {
      this.sinceId = (await this.newestStoredId()) ?? undefined;
      this.seeded = true;
      this.log.info({ sinceId: this.sinceId ?? null }, 'search resumes after the newest stored post');
      return true;
    } catch (error) {
      this.log.warn({ err: error }, 'cannot read the newest stored post; search waits');
      return false;
    }
  }

  private advance(newestId: string | undefined, pages: number): void {
    this.log.debug({ pages, sinceId: this.sinceId, newestId }, 'search poll done');
    if (!newestId) return;
    this.sinceId = newestId;
    this.fromWindowStart = false;
  }

  /** Time until the rate-limit window resets, when no request is left in it; else 0. */
  private rateLimitWaitMs(rateLimit: TwitterRateLimit | undefined): number {
    if (!rateLimit || rateLimit.remaining > 0) return 0;
    return Math.max(rateLimit.reset * 1000 - this.now(), 0);
  }
}
