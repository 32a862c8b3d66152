import { type CursorPosition, decodeCursor, InvalidCursorError } from '@kubeonazure/tweet-model';

/** Tweets per page on `/` and the API's default `limit`. */
export const PAGE_SIZE = 20;
export const MAX_LIMIT = 100;

/** A query the client got wrong: answered with 400, never 500. */
export class BadQueryError extends Error {
  readonly statusCode = 400;
}

/**
 * Checks an optional cursor (`before`, `since`, `Last-Event-ID`), so a forged or truncated one
 * is a 400 naming the parameter and never reaches the database.
 */
export function parseCursor(cursor: string | undefined, parameter: string): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    decodeCursor(cursor);
    return cursor;
  } catch (error) {
    if (error instanceof InvalidCursorError) throw new BadQueryError(`${parameter}: not a valid cursor`);
    throw error;
  }
}

/**
 * The tweets of `page` (newest first) that `shown` lacks, in page order: the newly posted ones and
 * those stored late that belong on the page.
 */
export function unseen<T extends { _id: string }>(page: T[], shown: T[]): T[] {
  const ids = new Set(shown.map((tweet) => tweet._id));
  return page.filter((tweet) => !ids.has(tweet._id));
}

/** The pages' order, `{ created_at: -1, _id: -1 }`: negative when `a` comes first (is newer). */
export function newestFirst(a: CursorPosition, b: CursorPosition): number {
  const byTime = b.created_at.getTime() - a.created_at.getTime();
  if (byTime !== 0) return byTime;
  return a._id === b._id ? 0 : a._id < b._id ? 1 : -1;
}

/**
 * The tweets of `page` (newest first) newer than `since`, when the page holds all of them: `since` is
 * on or within it, or nothing older exists (`hasOlder` false). Null when `since` lies below a page
 * with older tweets after it: what lies between is not on the page.
 */
export function newerOnPage<T extends CursorPosition>(page: T[], hasOlder: boolean, since: CursorPosition): T[] | null {
  const oldest = page.at(-1);
  if (hasOlder && (!oldest || newestFirst(since, oldest) > 0)) return null;
  return page.filter((tweet) => newestFirst(tweet, since) < 0);
}

/** The newest `limit` of two lists of tweets, each tweet once, newest first. */
export function mergeNewest<T extends CursorPosition>(a: T[], b: T[], limit: number): T[] {
  const byId = new Map([...a, ...b].map((tweet) => [tweet._id, tweet]));
  return [...byId.values()].sort(newestFirst).slice(0, limit);
}
