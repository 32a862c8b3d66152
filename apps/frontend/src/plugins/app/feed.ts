import { decodeCursor, encodeCursor, type TweetDocument } from '@kubeonazure/tweet-model';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { mergeNewest, newerOnPage, PAGE_SIZE, unseen } from '../../paging.js';
import type { Metrics } from './metrics.js';
import { DatabaseThrottledError, DatabaseUnavailableError, type Page, type TweetReader } from './tweets.js';

/** Most tweets a resuming event stream gets (`Last-Event-ID`, `?since=`); older ones are on the pages. */
export const FANOUT_LIMIT = 100;

type Listener = (tweets: TweetDocument[]) => void;

/**
 * The one poller per process. Change streams exist neither on Cosmos DB RU accounts nor on
 * the test database, so it reads the local replica's newest page every `intervalMs` (one indexed
 * read of PAGE_SIZE tweets, whatever the number of visitors; its reads have priority over the
 * public ones, see TweetReader) and:
 * - keeps it, for `/`, `/api/tweets` and event-stream resumes within it to serve without a query
 *   of their own;
 * - hands the tweets on it that the previous page did not have (newest first) to its listeners,
 *   the event streams. Diffing by id rather than asking for tweets newer than the newest seen is
 *   what shows a tweet stored late (a gap fill after a reconnect or a lease handover) that belongs
 *   on the first page; one stored late below it shows on the older pages. A burst of more than a
 *   page within one interval goes live with its newest PAGE_SIZE, the rest by paging.
 * - is `/healthz`: its last read says whether the local replica is readable, so probes (Traffic
 *   Manager's, from many locations, and the kubelet's) cost no query of their own.
 * When a read fails the page is forgotten, so nothing stale is served as fresh; the next good
 * read rebuilds it and fans out what arrived meanwhile. A throttled read (Cosmos DB's 16500) is
 * not a lost database: the page is kept, and served, while it is younger than `maxThrottledPageAgeMs`.
 */
export class Feed {
  private page: TweetDocument[] | null = null;
  /** Where the page after `page` starts; null when `page` holds every tweet. */
  private nextCursor: string | null = null;
  /** The page of the last good read: what the listeners have (kept through failed reads). */
  private shown: TweetDocument[] = [];
  private primed = false;
  private timer: NodeJS.Timeout | undefined;
  private loading: Promise<TweetDocument[]> | undefined;
  private stopped = false;
  private readonly listeners = new Set<Listener>();
  private firstPoll: Promise<void> | undefined;
  lastSuccessAt: Date | null = null;
  /** When the database last answered the poller, with the page or with throttling. */
  private lastAnswerAt = 0;
  /** Whether the polls since the last good one were all throttled (the page is kept meanwhile). */
  private throttled = false;
  /** Why the last poll failed; null after a good one. */
  lastError: string | null = 'not read yet';

  constructor(
    private readonly reader: TweetReader,
    private readonly options: { intervalMs: number; readTimeoutMs: number; maxThrottledPageAgeMs: number },
    private readonly log: FastifyBaseLogger,
    private readonly metrics: Pick<Metrics, 'pollErrors' | 'pollerLastSuccess' | 'newestTweet'>,
  ) {}

  /**
   * Whether this region can serve, from the poller's last read (waiting for the first one): healthy
   * while that read succeeded and is recent, or while the reads since are all throttled and the page
   * is younger than `maxThrottledPageAgeMs` (`throttled: true`). A poll that hangs counts as failed
   * once the database's last answer is older than an interval plus twice the read timeout.
   */
  async health(): Promise<
    { ok: true; throttled: boolean; newest: TweetDocument | null } | { ok: false; reason: string }
  > {
    await this.firstPoll;
    if (this.page === null || (this.lastError !== null && !this.throttled))
      return { ok: false, reason: this.lastError ?? 'not read yet' };
    const now = Date.now();
    const silentMs = now - this.lastAnswerAt;
    if (silentMs > this.options.intervalMs + 2 * this.options.readTimeoutMs)
      return { ok: false, reason: `no answer from the database for ${Math.round(silentMs)} ms` };
    const ageMs = now - (this.lastSuccessAt?.getTime() ?? 0);
    if (this.throttled && ageMs > this.options.maxThrottledPageAgeMs)
      return { ok: false, reason: `reads throttled for ${Math.round(ageMs)} ms: the cached page is too old` };
    return { ok: true, throttled: this.throttled, newest: this.page[0] ?? null };
  }

  /** The newest page (newest first), or null while the database cannot be read. */
  newestPage(): TweetDocument[] | null {
    return this.page;
  }

  /**
   * The newest page for `/`: the poller's copy. Before the poller's first read or after a failed
   * one: one read, shared by every request waiting meanwhile (a burst of visitors is still one
   * query), whose result becomes the copy. Throws DatabaseUnavailableError when that read fails.
   */
  currentPage(): Promise<TweetDocument[]> {
    if (this.page) return Promise.resolve(this.page);
    this.loading ??= this.reader
      .latest({ limit: PAGE_SIZE })
      .then(({ tweets, nextCursor }) => {
        if (this.page) return this.page;
        this.nextCursor = nextCursor;
        this.page = tweets;
        return tweets;
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }

  /** The newest `limit` tweets (the API's first page), from the copy; only those below it are read. */
  async firstPage(limit: number): Promise<Page> {
    const tweets = await this.currentPage();
    // A poll may have replaced the page while this waited: take a page and its cursor together.
    if (tweets !== this.page) return this.firstPage(limit);
    const nextCursor = this.nextCursor;
    if (limit < tweets.length) return { tweets: tweets.slice(0, limit), nextCursor: encodeCursor(tweets[limit - 1]!) };
    if (limit === tweets.length || nextCursor === null) return { tweets, nextCursor };
    const rest = await this.reader.latest({ limit: limit - tweets.length, before: nextCursor });
    return { tweets: [...tweets, ...rest.tweets], nextCursor: rest.nextCursor };
  }

  /**
   * The tweets newer than `since`, newest first, at most `limit` (an event stream's resume): from the
   * copy when `since` is within it, else one read shared by every resume from the same cursor. The
   * copy's tweets are added to that read's, so a tweet fanned out while a shared read ran is not lost.
   */
  async newerThan(since: string, limit: number): Promise<TweetDocument[]> {
    const page = this.page;
    const onPage = page && newerOnPage(page, this.nextCursor !== null, decodeCursor(since));
    if (onPage) return onPage.slice(0, limit);
    const read = await this.reader.newerThan(since, limit);
    return mergeNewest(read, (this.page && newerOnPage(this.page, false, decodeCursor(since))) ?? [], limit);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    const loop = async () => {
      await this.tick();
      if (!this.stopped) this.timer = setTimeout(() => void loop(), this.options.intervalMs);
    };
    this.stopped = false;
    this.firstPoll = loop();
  }

  /** Stops polling. A poll in progress is abandoned: closing the database ends it with an error nobody hears. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** One poll; never throws. */
  async tick(): Promise<void> {
    try {
      const { tweets: page, nextCursor } = await this.reader.poll(PAGE_SIZE);
      if (this.primed && (this.page === null || this.throttled))
        this.log.info('poller: the database is readable again');
      const fresh = unseen(page, this.shown);
      // The same page keeps its identity, so `/` reuses its rendering.
      if (this.page === null || fresh.length > 0 || page.length !== this.page.length) this.page = page;
      this.nextCursor = nextCursor;
      this.shown = page;
      this.lastSuccessAt = new Date();
      this.lastAnswerAt = this.lastSuccessAt.getTime();
      this.lastError = null;
      this.throttled = false;
      this.metrics.pollerLastSuccess.set(this.lastSuccessAt.getTime() / 1000);
      const newest = page[0];
      if (newest) this.metrics.newestTweet.set(newest.created_at.getTime() / 1000);
      // The first read only fills the page: those tweets are already on every page served so far.
      if (this.primed && fresh.length > 0) for (const listener of this.listeners) listener(fresh);
      this.primed = true;
    } catch (error) {
      if (this.stopped) return;
      this.metrics.pollErrors.inc();
      this.lastError = error instanceof DatabaseUnavailableError ? error.message : 'database read failed';
      const pageAgeMs = Date.now() - (this.lastSuccessAt?.getTime() ?? 0);
      if (
        error instanceof DatabaseThrottledError &&
        this.page !== null &&
        pageAgeMs <= this.options.maxThrottledPageAgeMs
      ) {
        if (!this.throttled) this.log.warn({ err: error }, 'poller: reads throttled; serving the cached page');
        this.throttled = true;
        this.lastAnswerAt = Date.now();
        return;
      }
      if (this.page !== null)
        this.log.warn({ err: error }, 'poller: cannot read the database; serving 503 until it returns');
      this.page = null;
      this.throttled = false;
    }
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    feed: Feed;
  }
}

export default fp(
  async (
    fastify: FastifyInstance,
    options: { pollIntervalMs: number; readTimeoutMs: number; maxThrottledPageAgeMs: number },
  ) => {
    const feed = new Feed(
      fastify.tweets,
      {
        intervalMs: options.pollIntervalMs,
        readTimeoutMs: options.readTimeoutMs,
        maxThrottledPageAgeMs: options.maxThrottledPageAgeMs,
      },
      fastify.log,
      fastify.metrics,
    );
    fastify.decorate('feed', feed);
    fastify.addHook('onReady', async () => feed.start());
    fastify.addHook('preClose', async () => feed.stop());
  },
  { name: 'feed', dependencies: ['tweets', 'metrics'] },
);
