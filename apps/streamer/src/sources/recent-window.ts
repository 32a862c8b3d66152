import type { Logger } from '@kubeonazure/service-kit';
import { ApiResponseError } from 'twitter-api-v2';
import type { Metrics } from '../ops/metrics.js';

/** How far back X's recent search reaches. */
export const RECENT_SEARCH_WINDOW_MS = 7 * 24 * 3600_000;
/** Room for our clock against X's and for the request's way there, so X takes the start_time we send. */
const WINDOW_MARGIN_MS = 10 * 60_000;

/** The oldest `start_time` recent search takes, less the margin, in X's format (whole seconds). */
export function windowStartTime(now: number): string {
  return `${new Date(now - RECENT_SEARCH_WINDOW_MS + WINDOW_MARGIN_MS).toISOString().slice(0, 19)}Z`;
}

/**
 * Whether X refused the request's `since_id` (400 naming the parameter): its post is older than the
 * window ("'since_id' must be a tweet id created after ..."). Asking again with it never succeeds.
 */
export function sinceIdRefused(error: unknown): boolean {
  if (!(error instanceof ApiResponseError) || error.code !== 400) return false;
  return (error.errors ?? []).some((problem) => {
    const parameters = (problem as { parameters?: Record<string, unknown> }).parameters;
    return parameters?.since_id !== undefined;
  });
}

/** Counts and logs, once, a gap whose start X's recent search no longer reaches: what came before the window is lost. */
export function beyondWindow(metrics: Metrics, log: Logger, sinceId: string, startTime: string): void {
  metrics.unrecoverableGaps.inc({ reason: 'beyond-window' });
  log.warn(
    { sinceId, startTime },
    'since_id is older than recent search reaches; searching from the window start, posts before it are lost',
  );
}
