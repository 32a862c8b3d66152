import type { TweetDocument } from '@kubeonazure/tweet-model';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { PAGE_SIZE, unseen } from '../../paging.js';
import type { Metrics } from './metrics.js';
import { DatabaseUnavailableError, type TweetReader } from './tweets.js';

/** Most tweets a resuming event stream gets (`Last-Event-ID`, `?since=`); older ones are on the pages. */
export const FANOUT_LIMIT = 100;

type Listener = (tweets: TweetDocument[]) => void;

/**
 * The one poller per process. Change streams exist neither on Cosmos DB RU accounts nor on
 * the test database, so it reads the local replica's newest page every `intervalMs` (one indexed
 * read of PAGE_SIZE tweets, whatever the number of visitors) and:
 * - keeps it, for `/` to serve without a query of its own;
 * - hands the tweets on it that the previous page did not have (newest first) to its listeners,
 *   the event streams. Diffing by id rather than asking for tweets newer than the newest seen is
 *   what shows a tweet stored late (a gap fill after a reconnect or a lease handover) that belongs
 *   on the first page; one stored late below it shows on the older pages. A burst of more than a
 *   page within one interval goes live with its newest PAGE_SIZE, the rest by paging.
 * - is `/healthz`: its last read says whether the local replica is readable, so probes (Traffic
 *   Manager's, from many locations, and the kubelet's) cost no query of their own.
 * When a read fails the page is forgotten, so nothing stale is served as fresh; the next good
 * read rebuilds it and fans out what arrived meanwhile.
 */
export class Feed {
  private page: TweetDocument[] | null = null;
  /** The page of the last good read: what the listeners have (kept through failed reads). */
  private shown: TweetDocument[] = [];
  private primed = false;
  private timer: NodeJS.Timeout | undefined;
  private loading: Promise<TweetDocument[]> | undefined;
  private stopped = false;
  private readonly listeners = new Set<Listener>();
  private firstPoll: Promise<void> | undefined;
  lastSuccessAt: Date | null = null;
  /** Why the last poll failed; null after a good one. */
  lastError: string | null = 'not read yet';

  constructor(
    private readonly reader: TweetReader,
    private readonly intervalMs: number,
    private readonly readTimeoutMs: number,
    private readonly log: FastifyBaseLogger,
    private readonly metrics: Pick<Metrics, 'pollErrors' | 'pollerLastSuccess' | 'newestTweet'>,
  ) {}

  /**
   * Whether the local replica is readable, from the poller's last read (waiting for the first one):
   * healthy while that read succeeded and is recent (a poll that hangs counts as failed once it is
   * later than an interval plus the read timeout, with room for one slow read).
   */
  async health(): Promise<{ ok: true; newest: TweetDocument | null } | { ok: false; reason: string }> {
    await this.firstPoll;
    const ageMs = this.lastSuccessAt ? Date.now() - this.lastSuccessAt.getTime() : Infinity;
    if (this.page === null || this.lastError !== null) return { ok: false, reason: this.lastError ?? 'not read yet' };
    if (ageMs > this.intervalMs + 2 * this.readTimeoutMs)
      return { ok: false, reason: `no successful read for ${Math.round(ageMs)} ms` };
    return { ok: true, newest: this.page[0] ?? null };
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
      .then(({ tweets }) => (this.page ??= tweets))
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    const loop = async () => {
      await this.tick();
      if (!this.stopped) this.timer = setTimeout(() => void loop(), this.intervalMs);
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
      const { tweets: page } = await this.reader.latest({ limit: PAGE_SIZE });
      if (this.primed && this.page === null) this.log.info('poller: the database is readable again');
      const fresh = unseen(page, this.shown);
      // The same page keeps its identity, so `/` reuses its rendering.
      if (this.page === null || fresh.length > 0 || page.length !== this.page.length) this.page = page;
      this.shown = page;
      this.lastSuccessAt = new Date();
      this.lastError = null;
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
      if (this.page !== null)
        this.log.warn({ err: error }, 'poller: cannot read the database; serving 503 until it returns');
      this.page = null;
    }
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    feed: Feed;
  }
}

export default fp(
  async (fastify: FastifyInstance, options: { pollIntervalMs: number; readTimeoutMs: number }) => {
    const feed = new Feed(fastify.tweets, options.pollIntervalMs, options.readTimeoutMs, fastify.log, fastify.metrics);
    fastify.decorate('feed', feed);
    fastify.addHook('onReady', async () => feed.start());
    fastify.addHook('preClose', async () => feed.stop());
  },
  { name: 'feed', dependencies: ['tweets', 'metrics'] },
);
