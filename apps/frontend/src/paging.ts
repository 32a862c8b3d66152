import { decodeCursor, InvalidCursorError } from '@kubeonazure/tweet-model';

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
