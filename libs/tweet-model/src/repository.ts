import type { Collection, Filter, MongoClient, WriteError } from 'mongodb';
import { MongoBulkWriteError, MongoServerError } from 'mongodb';
import { TWEET_INDEXES } from './cosmos-definitions.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { COSMOS_THROTTLED, failedWrites, withThrottleRetry, type ThrottleRetryOptions } from './throttle.js';
import { DEFAULT_COLLECTION, DEFAULT_DATABASE, validateTweet, type TweetDocument } from './tweet.js';

/** Upper bound per insertNew call: keeps one bulk write within a single Cosmos DB request budget. */
export const MAX_INSERT_BATCH = 1000;
const DUPLICATE_KEY = 11000;
/** Upper bound for one page of `latest` / `newerThan`. */
export const MAX_PAGE_SIZE = 1000;

/** A post an insert did not store, with the server's error for it. */
export interface UnstoredPost {
  tweet: TweetDocument;
  error: { code: number | undefined; message: string };
}

/**
 * Thrown by `insertNew` when part of the posts was stored: what was done, and the posts left with why,
 * so that a retry resends only those.
 */
export class IncompleteInsertError extends Error {
  override name = 'IncompleteInsertError';
  constructor(
    readonly inserted: number,
    readonly duplicates: number,
    readonly unstored: UnstoredPost[],
    options: { cause: unknown },
  ) {
    super(
      `${unstored.length} posts not stored (${inserted} inserted, ${duplicates} duplicates): ${unstored[0]?.error.message}`,
      options,
    );
  }
}

// Newest first; `_id` breaks ties between posts of the same millisecond. Ids are compared as strings,
// which is a consistent total order (all that stable paging needs), not a numeric one.
export const NEWEST_FIRST = { created_at: -1, _id: -1 } as const;

/** The repository's operations, as `onThrottled` names them. */
export const REPOSITORY_OPERATIONS = ['create_index', 'insert', 'read', 'newest_id'] as const;
export type RepositoryOperation = (typeof REPOSITORY_OPERATIONS)[number];

export interface RepositoryOptions extends Omit<ThrottleRetryOptions, 'onThrottled'> {
  /** Called for every throttled answer (16500) Cosmos DB gives an operation, retried or not. */
  onThrottled?: (operation: RepositoryOperation) => void;
  /**
   * The caller's deadline for every read, sent to the server as `maxTimeMS` (a caller that gives up on
   * a slow read does not leave it running, and costing request units, on the server) and bounding the
   * throttle retries of the reads that carry it (`latest`, `newerThan`, `newest`) unless `deadlineMs` is given.
   */
  maxTimeMS?: number;
}

export class TweetRepository {
  constructor(
    private readonly collection: Collection<TweetDocument>,
    private readonly options: RepositoryOptions = {},
  ) {}

  static fromClient(
    client: MongoClient,
    options: { database?: string; collection?: string } & RepositoryOptions = {},
  ): TweetRepository {
    const { database = DEFAULT_DATABASE, collection = DEFAULT_COLLECTION, ...rest } = options;
    return new TweetRepository(client.db(database).collection<TweetDocument>(collection), rest);
  }

  /** The same collection with some options changed, e.g. `{ maxRetries: 0 }` for reads whose caller sheds them instead. */
  withOptions(options: RepositoryOptions): TweetRepository {
    return new TweetRepository(this.collection, { ...this.options, ...options });
  }

  /**
   * Cosmos DB rejects a sort that no index covers; `_id` is unique and indexed already. The indexes are
   * those of cosmos/tweets-indexes.json, which deploy/azure creates (az gives index keys no
   * direction), ascending with their default names: Cosmos DB, MongoDB and FerretDB all serve the
   * newest-first sort from one read backwards, and a descending copy would only cost request units on
   * every insert. In production the deploy script creates them and the apps' database users may not
   * (the streamer's CREATE_INDEXES=false); local runs and tests create them here.
   */
  async ensureIndexes(): Promise<void> {
    for (const { key } of TWEET_INDEXES) {
      if (key.keys.length === 1 && key.keys[0] === '_id') continue;
      await this.retry('create_index', () =>
        this.collection.createIndex(Object.fromEntries(key.keys.map((field) => [field, 1]))),
      );
    }
  }

  /**
   * Stores the posts not stored yet in one unordered bulk insert, idempotent by post id: a post seen
   * again (a reconnect, a backfill, overlapping polls) meets the unique `_id` and counts as a duplicate,
   * so the first stored copy, with its `ingested_at`, stays. Inserting is several times cheaper than
   * upserting, on Cosmos DB (request units) and FerretDB alike. When Cosmos DB throttles some of the
   * writes, only those are retried. When some writes fail otherwise, it throws an IncompleteInsertError
   * naming the posts left; a command that fails as a whole before any write is done throws the driver's error.
   */
  async insertNew(tweets: TweetDocument[]): Promise<{ inserted: number; duplicates: number }> {
    if (tweets.length > MAX_INSERT_BATCH) {
      throw new RangeError(`insertNew accepts at most ${MAX_INSERT_BATCH} tweets per call, got ${tweets.length}`);
    }
    if (tweets.length === 0) return { inserted: 0, duplicates: 0 };
    let pending: UnstoredPost[] = tweets.map((tweet) => ({
      tweet: validateTweet(tweet),
      error: { code: undefined, message: '' },
    }));
    let inserted = 0;
    let duplicates = 0;
    // Set once a bulk result said which writes failed: from then on, part of the work is known done.
    let partial = false;
    let throttled: MongoServerError | undefined;
    try {
      await this.retry('insert', async () => {
        try {
          inserted += (
            await this.collection.insertMany(
              pending.map(({ tweet }) => tweet),
              { ordered: false },
            )
          ).insertedCount;
          pending = [];
        } catch (error) {
          // No write errors: the command failed as a whole (and is retried whole when throttled).
          const writes = failedWrites(error);
          if (!(error instanceof MongoBulkWriteError) || writes.length === 0) throw error;
          // The writes not reported failed are done; duplicates are done too (stored earlier).
          inserted += error.result.insertedCount;
          partial = true;
          const failures = writes.filter((write) => write.code !== DUPLICATE_KEY);
          duplicates += writes.length - failures.length;
          pending = failures.map((write) => ({
            tweet: pending[write.index]!.tweet,
            error: { code: write.code, message: write.errmsg ?? 'write failed' },
          }));
          if (failures.length === 0) return;
          // Retry the rest only if all of it was throttled, after the delay Cosmos DB gave for it.
          if (!failures.every((write) => write.code === COSMOS_THROTTLED)) throw error;
          throttled = throttledError(failures[0]!);
          throw throttled;
        }
      });
    } catch (error) {
      if (!partial) throw error;
      // The posts left carry their own write error, unless their retry failed as a whole.
      const whole = error !== throttled && failedWrites(error).length === 0;
      const unstored = whole ? pending.map(({ tweet }) => ({ tweet, error: errorOf(error) })) : pending;
      throw new IncompleteInsertError(inserted, duplicates, unstored, { cause: error });
    }
    return { inserted, duplicates };
  }

  /** One page, newest first; pass `nextCursor` back as `before` for the next (older) page. */
  async latest(q: { limit: number; before?: string }): Promise<{ tweets: TweetDocument[]; nextCursor: string | null }> {
    checkLimit(q.limit);
    // One more than asked tells whether an older page exists without a count.
    const found = await this.find(q.before ? beyond(q.before, '$lt') : {}, q.limit + 1);
    const tweets = found.slice(0, q.limit);
    const last = tweets.at(-1);
    return { tweets, nextCursor: found.length > q.limit && last ? encodeCursor(last) : null };
  }

  /**
   * Posts strictly newer than the cursor position (e.g. `encodeCursor` of the newest post a page shows),
   * newest first, at most `limit`: a poller gets the newest ones even when more arrived meanwhile.
   */
  async newerThan(cursor: string | null, limit: number): Promise<TweetDocument[]> {
    checkLimit(limit);
    return this.find(cursor ? beyond(cursor, '$gt') : {}, limit);
  }

  async newest(): Promise<TweetDocument | null> {
    return (await this.find({}, 1))[0] ?? null;
  }

  /**
   * The greatest stored post id (where a search resumes with `since_id`); null when none is stored. X's
   * ids grow with time and its `created_at` has whole seconds, so the greatest id is among the posts of
   * the newest second: those are read through the `created_at` index and compared as numbers (as
   * strings, "999" would beat "1000").
   */
  async newestId(): Promise<string | null> {
    const [newest] = await this.retry('newest_id', () =>
      this.collection
        .find({}, { projection: { created_at: 1 } })
        .sort(NEWEST_FIRST)
        .limit(1)
        .toArray(),
    );
    if (!newest) return null;
    const second = new Date(Math.floor(newest.created_at.getTime() / 1000) * 1000);
    const sameSecond = await this.retry('newest_id', () =>
      this.collection.find({ created_at: { $gte: second } }, { projection: { _id: 1 } }).toArray(),
    );
    return sameSecond.reduce((max, { _id }) => (BigInt(_id) > BigInt(max) ? _id : max), newest._id);
  }

  private find(filter: Filter<TweetDocument>, limit: number): Promise<TweetDocument[]> {
    return this.retry(
      'read',
      () => this.collection.find(filter, this.readOptions()).sort(NEWEST_FIRST).limit(limit).toArray(),
      this.options.deadlineMs ?? this.options.maxTimeMS,
    );
  }

  private readOptions(): { maxTimeMS?: number } {
    return this.options.maxTimeMS ? { maxTimeMS: this.options.maxTimeMS } : {};
  }

  private retry<T>(
    operation: RepositoryOperation,
    op: () => Promise<T>,
    deadlineMs = this.options.deadlineMs,
  ): Promise<T> {
    const { onThrottled, ...options } = this.options;
    return withThrottleRetry(op, { ...options, deadlineMs, onThrottled: () => onThrottled?.(operation) });
  }
}

function throttledError(write: WriteError): MongoServerError {
  return new MongoServerError({ code: write.code, errmsg: write.errmsg ?? 'throttled' });
}

function errorOf(error: unknown): UnstoredPost['error'] {
  const code = error instanceof MongoServerError && typeof error.code === 'number' ? error.code : undefined;
  return { code, message: error instanceof Error ? error.message : String(error) };
}

/**
 * Posts past a cursor position in sort order: `$lt` older, `$gt` newer. Same timestamp, then `_id`
 * decides, so posts sharing a millisecond are neither skipped nor repeated between pages.
 */
function beyond(cursor: string, direction: '$lt' | '$gt'): Filter<TweetDocument> {
  const { _id, created_at } = decodeCursor(cursor);
  return { $or: [{ created_at: { [direction]: created_at } }, { created_at, _id: { [direction]: _id } }] };
}

function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new RangeError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${limit}`);
  }
}
