import type { Logger } from '@kubeonazure/service-kit';
import type { Metrics } from '../ops/metrics.js';
import type { Intake } from '../pipeline/intake.js';
import { searchQuery } from './search.js';
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

/**
 * Fetches through recent search, with the stream's rules, what the filtered stream did not deliver
 * while it was not connected: everything after `sinceId` (the newest post stored or received before
 * the connection was made), newest first, at most `maxPosts`. Posts the stream delivers too meet the
 * unique id and count as duplicates, so filling is idempotent. Call it after every (re)connect and at
 * start, also after taking over the stream from another streamer.
 */
export class GapFill {
  constructor(
    private readonly client: XApiClient,
    private readonly options: GapFillOptions,
    private readonly intake: Intake,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  /** Fills the gap after `sinceId` (null: nothing is stored yet, take the newest posts). Never throws. */
  async fill(sinceId: string | null, signal?: AbortSignal): Promise<GapFillResult> {
    if (this.options.maxPosts === 0) return 'off';
    let posts = 0;
    let result: GapFillResult;
    try {
      result = await this.page(sinceId, signal, (n) => (posts += n));
    } catch (error) {
      result = 'failed';
      this.log.warn({ sinceId, posts, err: error }, 'gap fill failed');
    }
    this.metrics.gapFills.inc({ result });
    if (result === 'truncated') {
      this.log.warn({ sinceId, posts }, 'gap fill stopped at GAP_FILL_MAX_POSTS; older posts of the gap are lost');
    } else if (result === 'complete') {
      this.log.info({ sinceId, posts }, 'gap filled');
    }
    return result;
  }

  private async page(
    sinceId: string | null,
    signal: AbortSignal | undefined,
    counted: (n: number) => void,
  ): Promise<GapFillResult> {
    const query = { ...TWEET_QUERY, query: searchQuery(this.options.track), ...(sinceId ? { since_id: sinceId } : {}) };
    let left = this.options.maxPosts;
    let nextToken: string | undefined;
    do {
      if (signal?.aborted) return 'failed';
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
      await this.intake.fromSearchPage({ ...response.data, data: taken });
      left -= taken.length;
      counted(taken.length);
      this.metrics.gapFillPosts.inc(taken.length);
      nextToken = response.data.meta?.next_token;
      if (left === 0 && (nextToken || taken.length < data.length)) return 'truncated';
      // An exhausted rate-limit window ends the fill; the next gap starts from what is stored then.
      if (nextToken && response.rateLimit && response.rateLimit.remaining === 0) return 'failed';
    } while (nextToken);
    return 'complete';
  }
}
