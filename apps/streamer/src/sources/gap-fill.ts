import type { Logger } from '@kubeonazure/service-kit';
import { ApiResponseError, type TwitterRateLimit } from 'twitter-api-v2';
import type { Metrics } from '../ops/metrics.js';
import type { Intake } from '../pipeline/intake.js';
import { beyondWindow, sinceIdRefused, windowStartTime } from './recent-window.js';
import { searchQuery } from './search.js';
import type { Sleep } from './source.js';
import { TWEET_QUERY, type XApiClient } from './x-client.js';

export interface GapFillOptions {
  /** The stream's terms: the search asks for what the stream rules match. */
  track: readonly string[];
  /** At most this many posts per gap (GAP_FILL_MAX_POSTS); 0 turns gap filling off. */
  maxPosts: number;
}

export type GapFillResult = 'complete' | 'truncated' | 'failed' | 'off';

interface SearchPage {
  data?: unknown[];
  meta?: { next_token?: string };
}

// search/recent accepts max_results from 10 to 100.
const MIN_PAGE = 10;
const MAX_PAGE = 100;
/** The wait before the one retry of a failed fill, unless X's rate-limit reset says how long. */
const RETRY_DELAY_MS = 60_000;

/** A failed attempt, with when X's rate-limit window allows the next request (epoch seconds), if it said. */
class AttemptFailed extends Error {
  constructor(
    message: string,
    readonly resetAt: number | undefined,
  ) {
    super(message);
  }
}

/**
 * Fetches through recent search, with the stream's rules, what the filtered stream did not deliver
 * while it was not connected: everything after `sinceId` (the newest post stored or received before
 * the connection was made), newest first, at most `maxPosts`. Posts the stream delivers too meet the
 * unique id and count as duplicates, so filling is idempotent. Call it after every (re)connect and at
 * start, also after taking over the stream from another streamer. A since_id older than X's window
 * falls back to the window's start (the part before it is counted lost); a failed fill is retried once,
 * after X's rate-limit reset or a minute, and then given up (counted lost): it never holds up later fills.
 */
export class GapFill {
  constructor(
    private readonly client: XApiClient,
    private readonly options: GapFillOptions,
    private readonly intake: Intake,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly sleep: Sleep,
    private readonly now: () => number = Date.now,
  ) {}

  /** Fills the gap after `sinceId` (null: nothing is stored yet, take the newest posts). Never throws. */
  async fill(sinceId: string | null, signal?: AbortSignal): Promise<GapFillResult> {
    if (this.options.maxPosts === 0) return 'off';
    let posts = 0;
    const counted = (n: number) => (posts += n);
    let result = await this.attempt(sinceId, signal, counted);
    if (result instanceof AttemptFailed && !signal?.aborted) {
      const delayMs = result.resetAt ? Math.max(result.resetAt * 1000 - this.now(), 0) : RETRY_DELAY_MS;
      this.log.warn({ sinceId, posts, delayMs, err: result }, 'gap fill failed; retrying it once');
      await this.sleep(delayMs, signal);
      result = signal?.aborted ? result : await this.attempt(sinceId, signal, counted);
      if (result instanceof AttemptFailed && !signal?.aborted) {
        this.metrics.unrecoverableGaps.inc({ reason: 'fill-failed' });
        this.log.warn({ sinceId, posts, err: result }, 'gap fill failed again; the posts of the gap are lost');
      }
    }
    const outcome = result instanceof AttemptFailed ? 'failed' : result;
    this.metrics.gapFills.inc({ result: outcome });
    if (outcome === 'truncated') {
      this.log.warn({ sinceId, posts }, 'gap fill stopped at GAP_FILL_MAX_POSTS; older posts of the gap are lost');
    } else if (outcome === 'complete') {
      this.log.info({ sinceId, posts }, 'gap filled');
    }
    return outcome;
  }

  /** One try: from `sinceId`, or from the window's start when X refuses it as too old. */
  private async attempt(
    sinceId: string | null,
    signal: AbortSignal | undefined,
    counted: (n: number) => void,
  ): Promise<'complete' | 'truncated' | AttemptFailed> {
    try {
      try {
        return await this.page(sinceId ? { since_id: sinceId } : {}, signal, counted);
      } catch (error) {
        if (!sinceId || !sinceIdRefused(error)) throw error;
        const startTime = windowStartTime(this.now());
        beyondWindow(this.metrics, this.log, sinceId, startTime);
        return await this.page({ start_time: startTime }, signal, counted);
      }
    } catch (error) {
      if (error instanceof AttemptFailed) return error;
      const rateLimit = error instanceof ApiResponseError && error.code === 429 ? error.rateLimit : undefined;
      return new AttemptFailed(error instanceof Error ? error.message : String(error), rateLimit?.reset);
    }
  }

  private async page(
    position: { since_id: string } | { start_time: string } | Record<string, never>,
    signal: AbortSignal | undefined,
    counted: (n: number) => void,
  ): Promise<'complete' | 'truncated'> {
    const query = { ...TWEET_QUERY, query: searchQuery(this.options.track), ...position };
    let left = this.options.maxPosts;
    let nextToken: string | undefined;
    do {
      if (signal?.aborted) throw new AttemptFailed('stopped', undefined);
      const response = await this.client.get<SearchPage>(
        'tweets/search/recent',
        {
          ...query,
          max_results: Math.min(Math.max(left, MIN_PAGE), MAX_PAGE),
          ...(nextToken ? { next_token: nextToken } : {}),
        },
        { fullResponse: true },
      );
      const data = response.data.data ?? [];
      const taken = data.slice(0, left);
      await this.intake.fromSearchPage({ ...response.data, data: taken }, signal);
      counted(taken.length);
      this.metrics.gapFillPosts.inc(taken.length);
      // Stopped while the queue was full: the page may be only partly queued, so the fill is not complete.
      if (signal?.aborted) throw new AttemptFailed('stopped', undefined);
      left -= taken.length;
      nextToken = response.data.meta?.next_token;
      if (left === 0 && (nextToken || taken.length < data.length)) return 'truncated';
      if (nextToken && exhausted(response.rateLimit)) {
        throw new AttemptFailed('rate-limit window exhausted', response.rateLimit?.reset);
      }
    } while (nextToken);
    return 'complete';
  }
}

function exhausted(rateLimit: TwitterRateLimit | undefined): boolean {
  return rateLimit !== undefined && rateLimit.remaining === 0;
}
