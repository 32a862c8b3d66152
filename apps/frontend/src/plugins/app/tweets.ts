import type { TweetRepository } from '@kubeonazure/tweet-model';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { LRUCache } from 'lru-cache';
import { MongoError } from 'mongodb';

/** The database could not be read (down, unreachable or too slow): pages answer 503. */
export class DatabaseUnavailableError extends Error {
  readonly statusCode = 503;
}

/** How long an older page (`before=`) is reused: anyone can page, and each one is a query. */
const OLDER_PAGE_TTL_MS = 5000;
const OLDER_PAGES_KEPT = 1000;

type Query = Parameters<TweetRepository['latest']>[0];
type Page = Awaited<ReturnType<TweetRepository['latest']>>;

/**
 * Reads through the repository with a deadline. While the database is down the driver waits up to
 * its server selection timeout (10 s) before failing; visitors, probes and the poller get an answer
 * after `timeoutMs` instead, and the repository sends the same deadline with every read as
 * `maxTimeMS`, so the server abandons it too. Driver errors become DatabaseUnavailableError, naming
 * only the error class (driver messages can carry host names). Older pages are cached briefly by cursor.
 */
export class TweetReader {
  // `fetch` shares one read among concurrent requests for a page and keeps no failed read.
  private readonly olderPages = new LRUCache<string, Page, Query>({
    max: OLDER_PAGES_KEPT,
    ttl: OLDER_PAGE_TTL_MS,
    fetchMethod: (_key, _stale, { context }) => this.read(() => this.repository.latest(context)),
  });

  constructor(
    private readonly repository: TweetRepository,
    private readonly timeoutMs: number,
  ) {}

  latest(query: Query): Promise<Page> {
    if (!query.before) return this.read(() => this.repository.latest(query));
    return this.olderPages.forceFetch(`${query.limit} ${query.before}`, { context: query });
  }

  newerThan(cursor: string | null, limit: number) {
    return this.read(() => this.repository.newerThan(cursor, limit));
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
  async (fastify: FastifyInstance, options: { repository: TweetRepository; readTimeoutMs: number }) => {
    fastify.decorate('tweets', new TweetReader(options.repository, options.readTimeoutMs));
  },
  { name: 'tweets' },
);
