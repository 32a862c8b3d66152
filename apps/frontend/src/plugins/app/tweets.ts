import { throttleDelayMs, type TweetDocument, type TweetRepository } from '@kubeonazure/tweet-model';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { LRUCache } from 'lru-cache';
import { MongoError } from 'mongodb';

/** The database could not be read (down, unreachable or too slow): pages answer 503. */
export class DatabaseUnavailableError extends Error {
  readonly statusCode = 503;
  /** When the client should come back (the Retry-After header). */
  readonly retryAfterSeconds: number = 10;
}

/**
 * The database answers but its request units are spent (Cosmos DB's 16500), or this pod sheds a
 * public read to leave them to the poller: a 503 whose Retry-After is when the budget returns.
 */
export class DatabaseThrottledError extends DatabaseUnavailableError {
  override readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterMs: number, options?: ErrorOptions) {
    super(message, options);
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  }
}

/** How long an older page (`before=`) is reused: anyone can page, and each one is a query. */
const OLDER_PAGE_TTL_MS = 5000;
const OLDER_PAGES_KEPT = 1000;
/** Public reads in flight at once per pod; beyond, they are shed (503, Retry-After 1 s). */
export const PUBLIC_READS_IN_FLIGHT = 8;

type Query = Parameters<TweetRepository['latest']>[0];
export type Page = Awaited<ReturnType<TweetRepository['latest']>>;

/**
 * Reads through the repository with a deadline. While the database is down the driver waits up to
 * its server selection timeout (10 s) before failing; visitors, probes and the poller get an answer
 * after `timeoutMs` instead, and the repository sends the same deadline with every read as
 * `maxTimeMS`, so the server abandons it too. Driver errors become DatabaseUnavailableError, naming
 * only the error class (driver messages can carry host names); throttling becomes DatabaseThrottledError.
 *
 * The poller's reads (`poll`) have priority, as Cosmos DB for MongoDB has none on the server: they
 * retry throttling within their deadline and pass no gate. Public reads (`latest`, `newerThan`) are
 * coalesced (one read per distinct query in flight; older pages also cached briefly), never retried,
 * at most PUBLIC_READS_IN_FLIGHT at once, and shed at once from the moment a read is throttled until
 * the poller has read again (or, failing that, the server's wait plus a poll interval): the request
 * units that come back go to the poller first.
 */
export class TweetReader {
  // `fetch` shares one read among concurrent requests for a page and keeps no failed read.
  private readonly olderPages = new LRUCache<string, Page, Query>({
    max: OLDER_PAGES_KEPT,
    ttl: OLDER_PAGE_TTL_MS,
    fetchMethod: (_key, _stale, { context }) => this.publicRead(() => this.publicRepository.latest(context)),
  });
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly pollRepository: TweetRepository;
  private readonly publicRepository: TweetRepository;
  private publicInFlight = 0;
  /** Until when public reads are shed (ms since the epoch). */
  private shedUntil = 0;

  constructor(
    repository: TweetRepository,
    private readonly timeoutMs: number,
    private readonly pollIntervalMs: number,
  ) {
    // A retry must leave its attempt half the deadline: one made at the last moment would time out,
    // and a timeout says "database lost" where a throttling error says "busy".
    this.pollRepository = repository.withOptions({ deadlineMs: timeoutMs / 2 });
    this.publicRepository = repository.withOptions({ maxRetries: 0 });
  }

  /** The poller's read of the newest page: retried while throttled (within the deadline), never shed. */
  async poll(limit: number): Promise<Page> {
    const page = await this.read(() => this.pollRepository.latest({ limit }));
    this.shedUntil = 0;
    return page;
  }

  /** A public read of a page; older pages (`before`) are cached briefly. */
  latest(query: Query): Promise<Page> {
    if (!query.before) return this.shared(`latest ${query.limit}`, () => this.publicRepository.latest(query));
    return this.olderPages.forceFetch(`${query.limit} ${query.before}`, { context: query });
  }

  /** A public read of the tweets newer than `cursor` (an event stream's resume). */
  newerThan(cursor: string | null, limit: number): Promise<TweetDocument[]> {
    return this.shared(`newer ${limit} ${cursor}`, () => this.publicRepository.newerThan(cursor, limit));
  }

  /** One public read per key at a time: every request that asks meanwhile gets its answer. */
  private shared<T>(key: string, operation: () => Promise<T>): Promise<T> {
    let read = this.inFlight.get(key) as Promise<T> | undefined;
    if (!read) {
      read = this.publicRead(operation).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, read);
    }
    return read;
  }

  private async publicRead<T>(operation: () => Promise<T>): Promise<T> {
    const waitMs = this.shedUntil - Date.now();
    if (waitMs > 0) throw new DatabaseThrottledError('public read shed: the database is throttling', waitMs);
    if (this.publicInFlight >= PUBLIC_READS_IN_FLIGHT)
      throw new DatabaseThrottledError('public read shed: too many in flight', 1000);
    this.publicInFlight++;
    try {
      return await this.read(operation);
    } finally {
      this.publicInFlight--;
    }
  }

  private async read<T>(operation: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new DatabaseUnavailableError(`database read timed out after ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    try {
      return await Promise.race([operation(), deadline]);
    } catch (error) {
      const waitMs = throttleDelayMs(error);
      if (waitMs !== null) {
        this.shedUntil = Math.max(this.shedUntil, Date.now() + waitMs + this.pollIntervalMs);
        throw new DatabaseThrottledError(`database read throttled (RetryAfterMs=${waitMs})`, waitMs, { cause: error });
      }
      if (error instanceof MongoError)
        throw new DatabaseUnavailableError(`database read failed (${error.name})`, { cause: error });
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    tweets: TweetReader;
  }
}

export default fp(
  async (
    fastify: FastifyInstance,
    options: { repository: TweetRepository; readTimeoutMs: number; pollIntervalMs: number },
  ) => {
    fastify.decorate('tweets', new TweetReader(options.repository, options.readTimeoutMs, options.pollIntervalMs));
  },
  { name: 'tweets' },
);
