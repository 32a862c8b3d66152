import type { Db } from 'mongodb';
import { withDeadline } from './lease-store.js';

/** The database's time at one instant here, as far as a round trip can tell: between `earliest` and `latest` (Unix ms). */
export interface DatabaseTime {
  earliest: number;
  latest: number;
}

interface Sample {
  /** The database's localTime, stamped somewhere between `sent` and `received` (monotonic ms here). */
  localTime: number;
  sent: number;
  received: number;
}

/**
 * The database's clock, read from here: the lease's times are written and compared on it, so no two
 * streamers' host clocks are ever compared (regions' clocks may disagree; the database's is one). A
 * `hello` answers its localTime, stamped during the round trip; from then on the monotonic clock carries
 * it forward. That bounds the database's time at any instant here by the round trip: a claim's expiry
 * counts from the latest it may be, a takeover from the earliest, so neither error nor skew can let a
 * successor claim before the holder's ttl ran out in real time. A sample is kept until a tighter one
 * comes, or for `maxAgeMs` (clock rates drift by parts per million).
 */
export class DatabaseClock {
  private sample: Sample | null = null;
  private askedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly hello: () => Promise<Date | null>,
    private readonly monotonic: () => number = () => performance.now(),
    private readonly refreshMs = 60_000,
    private readonly maxAgeMs = 600_000,
  ) {}

  /** The database's time at the monotonic instant `at` (now by default); null before the first sample. */
  at(at = this.monotonic()): DatabaseTime | null {
    const sample = this.sample;
    if (!sample) return null;
    return { earliest: sample.localTime + (at - sample.received), latest: sample.localTime + (at - sample.sent) };
  }

  /** Asks the database for its time when the kept sample is older than `refreshMs` (or there is none); a failure keeps it. */
  async refresh(): Promise<void> {
    const kept = this.sample;
    const sent = this.monotonic();
    if (kept && sent - this.askedAt < this.refreshMs) return;
    this.askedAt = sent;
    const localTime = await this.hello().catch(() => null);
    const received = this.monotonic();
    if (localTime === null) return;
    const fresh = { localTime: localTime.getTime(), sent, received };
    const tighter = !kept || received - sent <= kept.received - kept.sent;
    if (tighter || sent - kept.sent >= this.maxAgeMs) this.sample = fresh;
  }
}

/** `hello`'s localTime (null when the server does not say), bounded by `timeoutMs`. */
export async function helloLocalTime(db: Db, timeoutMs: number): Promise<Date | null> {
  const reply = await withDeadline(db.command({ hello: 1 }), timeoutMs);
  return reply.localTime instanceof Date ? reply.localTime : null;
}
