/**
 * X's published reconnect policy for the filtered stream
 * (https://docs.x.com/x-api/fundamentals/handling-disconnections):
 * reconnect at once when an established connection drops; when the reconnect fails, back off
 * linearly (+250 ms, up to 16 s) for network errors, exponentially (from 5 s, up to 320 s) for HTTP
 * errors and exponentially from 60 s for 429. Never give up.
 *
 * One exception, for 429 TooManyConnections before a source's first connection: a source starts only
 * after the previous one stopped (the lease holder closes its stream before it releases, a rolled-out
 * process before it exits), so the connection X still counts is our own closed one, which X frees
 * once it notices the close, within seconds. Such a connect is retried after 1 s, 2 s, 4 s, 8 s, 16 s:
 * 31 s and five attempts at most, within the one minute X would have us wait after the first 429. If
 * X still refuses (or anything else failed in between), X's 429 back-off applies from there.
 */
export type DisconnectReason =
  | 'network' // TCP/TLS error or the server closed the connection
  | 'stall' // no data and no keep-alive within the stall timeout
  | 'operational-disconnect' // X told us in-stream that it is closing the connection
  | 'http' // the (re)connect answered with an HTTP error
  | 'rate-limit' // the (re)connect answered 429
  | 'too-many-connections'; // the (re)connect answered 429 TooManyConnections: one stream per app

type Backoff = 'linear' | 'exponential' | 'rate-limit' | 'handover';

/** The delay chosen for the last failure of the current streak; null while the connection is healthy. */
export interface ReconnectState {
  readonly backoff: Backoff;
  readonly delayMs: number;
}

const LINEAR_STEP_MS = 250;
const LINEAR_MAX_MS = 16_000;
const HTTP_FIRST_MS = 5_000;
const HTTP_MAX_MS = 320_000;
const RATE_LIMIT_FIRST_MS = 60_000;
// X states no ceiling for 429; its rate-limit windows are 15 minutes, so waiting longer never helps.
const RATE_LIMIT_MAX_MS = 15 * 60_000;
const HANDOVER_FIRST_MS = 1_000;
const HANDOVER_LAST_MS = 16_000;

function backoffOf(reason: DisconnectReason): Backoff {
  if (reason === 'http') return 'exponential';
  if (reason === 'rate-limit' || reason === 'too-many-connections') return 'rate-limit';
  return 'linear';
}

/**
 * The wait before the next connection attempt, given the previous one of this failure streak and
 * whether the source has never been connected yet.
 */
export function nextReconnect(
  previous: ReconnectState | null,
  reason: DisconnectReason,
  neverConnected = false,
): ReconnectState {
  // The short retries last while the streak is nothing but TooManyConnections, and five attempts at most.
  const handover =
    neverConnected &&
    reason === 'too-many-connections' &&
    (previous === null || (previous.backoff === 'handover' && previous.delayMs < HANDOVER_LAST_MS));
  const backoff = handover ? 'handover' : backoffOf(reason);
  const continues = previous?.backoff === backoff;
  switch (backoff) {
    case 'handover':
      return { backoff, delayMs: continues ? previous.delayMs * 2 : HANDOVER_FIRST_MS };
    case 'linear':
      // A connection that was healthy is retried at once; failed retries add 250 ms each.
      if (!previous) return { backoff, delayMs: 0 };
      return { backoff, delayMs: Math.min((continues ? previous.delayMs : 0) + LINEAR_STEP_MS, LINEAR_MAX_MS) };
    case 'exponential':
      return { backoff, delayMs: continues ? Math.min(previous.delayMs * 2, HTTP_MAX_MS) : HTTP_FIRST_MS };
    case 'rate-limit':
      return { backoff, delayMs: continues ? Math.min(previous.delayMs * 2, RATE_LIMIT_MAX_MS) : RATE_LIMIT_FIRST_MS };
  }
}
