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

/** Newest first, without duplicates: `fresh` tweets (newest first) on top of the current page. */
export function mergeNewest<T extends { _id: string }>(fresh: T[], page: T[], size: number): T[] {
  const seen = new Set<string>();
  const merged: T[] = [];
  for (const tweet of [...fresh, ...page]) {
    if (merged.length === size) break;
    if (seen.has(tweet._id)) continue;
    seen.add(tweet._id);
    merged.push(tweet);
  }
  return merged;
}
