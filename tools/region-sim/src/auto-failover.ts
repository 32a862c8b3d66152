import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_DATABASE, DEFAULT_LEASE_COLLECTION } from '@kubeonazure/tweet-model';
import { MongoClient, MongoServerError } from 'mongodb';
import type { DatabaseTier } from './database-tier.js';

// Service-managed failover, as Cosmos DB does it for an account with automatic failover enabled:
// when the write region has been unreachable for the detection window, the next region in failover
// priority (the region list's order, which the Azure script gives as priorities 0, 1, 2) becomes the
// write region, with no command. The lost region is fenced (its PostgreSQL stopped) and rejoins as a
// read region when it comes back; nothing fails back by itself.

/** How long the write region must be unreachable before the simulation fails over. */
export const DETECTION_WINDOW_MS = 10_000;
/** How often the write region is checked, and how long one check may wait for an answer. */
const CHECK_EVERY_MS = 1_000;
const CHECK_TIMEOUT_MS = 2_000;

/**
 * The region to promote: the first after `writeRegion` in failover priority (`priority`, wrapping
 * around) that can take writes; null when none can.
 */
export function nextInPriority(
  priority: readonly string[],
  writeRegion: string,
  canTakeWrites: (region: string) => boolean,
): string | null {
  const from = priority.indexOf(writeRegion);
  const candidates = [...priority.slice(from + 1), ...priority.slice(0, Math.max(from, 0))];
  return candidates.find(canTakeWrites) ?? null;
}

/**
 * Since when the write region has been unreachable, given this check's outcome: the first failed check
 * starts the clock, a good one stops it, and a new write region starts afresh.
 */
export function unreachableSince(
  previous: { region: string; since: number } | null,
  region: string,
  reachable: boolean,
  now: number,
): { region: string; since: number } | null {
  if (reachable) return null;
  return previous?.region === region ? previous : { region, since: now };
}

/**
 * Whether the write region answers a read of its database through its wire front: a reply, or a
 * throttling error (throttled is not down), within the timeout. Refused, stalled and a database gone
 * are alike unreachable. The read is of the lease collection (one document): FerretDB answers
 * catalogue commands such as listDatabases from its cache, without its PostgreSQL.
 */
export async function answers(url: string, timeoutMs = CHECK_TIMEOUT_MS): Promise<boolean> {
  const client = new MongoClient(url, {
    directConnection: true,
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    socketTimeoutMS: timeoutMs,
  });
  try {
    await client.db(DEFAULT_DATABASE).collection(DEFAULT_LEASE_COLLECTION).findOne({}, { maxTimeMS: timeoutMs });
    return true;
  } catch (error) {
    return error instanceof MongoServerError && error.code === 16500;
  } finally {
    void client.close().catch(() => undefined);
  }
}

/** Watches the write region and fails over by itself after the detection window; `stop` ends it. */
export class AutoFailover {
  private stopped = false;
  private readonly loop: Promise<void>;
  /** Each failover it made: from, to, and how long after the first failed check. */
  readonly failovers: { from: string; to: string; afterMs: number }[] = [];

  constructor(
    private readonly tier: DatabaseTier,
    private readonly priority: readonly string[],
    private readonly windowMs = DETECTION_WINDOW_MS,
  ) {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    let down: { region: string; since: number } | null = null;
    while (!this.stopped) {
      const write = this.tier.writeRegion;
      const reachable = await answers(this.tier.signedIn(write.front.url));
      down = unreachableSince(down, write.region.name, reachable, Date.now());
      if (down && Date.now() - down.since >= this.windowMs && !this.stopped) {
        const target = nextInPriority(this.priority, write.region.name, (name) => this.tier.get(name).postgres.running);
        // A failover that fails (the target's database went too) is tried again at the next check.
        const failedOver =
          target !== null &&
          (await this.tier.failover(target).then(
            () => true,
            () => false,
          ));
        if (failedOver) {
          this.failovers.push({ from: down.region, to: target, afterMs: Date.now() - down.since });
          down = null;
        }
      }
      await sleep(CHECK_EVERY_MS);
    }
  }
}
