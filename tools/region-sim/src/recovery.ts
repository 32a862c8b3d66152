import { findRegion, latencyOrder, REGION_NAMES, REGIONS } from '@kubeonazure/regions';
import { pollUntil } from '@kubeonazure/tool-kit';
import { DEFAULT_DATABASE, DEFAULT_LEASE_COLLECTION, readLease, type LeaseDocument } from '@kubeonazure/tweet-model';
import { MongoClient } from 'mongodb';
import { nextInPriority } from './auto-failover.js';
import { getJson, getText, type RegionSet } from './region-set.js';
import { secondsToDegraded } from './traffic.js';

// A fault brought on a running set and the time to each step of its recovery, every wait bounded:
// what the drills assert on and `region-sim:bench` prints. Times are ms from the fault.

/** Which region's frontend answered the visitors at `location` (the page's body says, in data-region). */
export async function servedBy(set: RegionSet, location: string): Promise<string | null> {
  return /<body data-region="([a-z0-9]+)"/.exec((await getText(set.entryUrl(location), set.client)) ?? '')?.[1] ?? null;
}

/** Whether `region`'s streamer holds the ingest lease (as the write region has it) and streams. */
export async function streamsIn(set: RegionSet, region: string): Promise<boolean> {
  const status = await set.status();
  return status.leaseHolder?.region === region && status.regions.some((r) => r.region === region && r.streaming);
}

/** How long Traffic Manager's rules (the set's probes) allow before an endpoint is out, plus 2 s of slack. */
export function probeBudgetMs(set: RegionSet): number {
  return (secondsToDegraded(set.probe) + 2) * 1000;
}

/** Resolves with the time since `from` once `check` holds; fails after `timeoutMs`. */
async function timeUntil(from: number, what: string, timeoutMs: number, check: () => Promise<boolean> | boolean) {
  await pollUntil(check, { what, timeoutMs });
  return Date.now() - from;
}

export interface ReadRegionLoss {
  region: string;
  /** Its /healthz answers 503. */
  unhealthyMs: number;
  /** Its visitors are served by the next region in latency order. */
  visitorsMovedMs: number;
  movedTo: string;
}

/** A read region loses its database (`outage <region>`); it stays so until the caller restores it. */
export async function loseReadRegion(set: RegionSet, region: string): Promise<ReadRegionLoss> {
  const location = findRegion(region)!.visitorLocation;
  const movedTo = latencyOrder(findRegion(region)!, REGIONS)[1]!.name;
  const from = Date.now();
  await set.outage(region);
  const [unhealthyMs, visitorsMovedMs] = await Promise.all([
    timeUntil(
      from,
      `${region} /healthz 503`,
      probeBudgetMs(set),
      async () => (await getJson(`${set.frontendUrl(region)}/healthz`, set.client))?.status === 503,
    ),
    timeUntil(
      from,
      `${location} visitors on ${movedTo}`,
      probeBudgetMs(set),
      async () => (await servedBy(set, location)) === movedTo,
    ),
  ]);
  return { region, unhealthyMs, visitorsMovedMs, movedTo };
}

export interface WriteRegionLoss {
  from: string;
  to: string;
  /** The set promoted `to` by itself. */
  failoverMs: number;
  /** `to`'s streamer holds the lease and streams. */
  takeoverMs: number;
  /** The visitors of `from` are served by the next region in latency order. */
  visitorsMovedMs: number;
  visitorsMovedTo: string;
}

/** The write region loses its database, frontend and streamer (`outage <write> --all`); nobody types a command. */
export async function loseWriteRegion(set: RegionSet): Promise<WriteRegionLoss> {
  const { from, to, failoversBefore } = nextWriteRegion(set);
  const location = findRegion(from)!.visitorLocation;
  const movedTo = latencyOrder(findRegion(from)!, REGIONS)[1]!.name;
  const started = Date.now();
  await set.outage(from, true);
  const [failoverMs, takeoverMs, visitorsMovedMs] = await Promise.all([
    timeUntil(started, 'an automatic failover', set.options.failoverWindowMs + 30_000, () => {
      return set.automaticFailovers.length > failoversBefore;
    }),
    timeUntil(started, `${to}'s streamer holds the lease`, takeoverBudgetMs(set), () => streamsIn(set, to)),
    timeUntil(
      started,
      `${location} visitors on ${movedTo}`,
      probeBudgetMs(set),
      async () => (await servedBy(set, location)) === movedTo,
    ),
  ]);
  return { from, to, failoverMs, takeoverMs, visitorsMovedMs, visitorsMovedTo: movedTo };
}

export interface HungWriteRegion {
  from: string;
  to: string;
  /** The holder's X stream connection closed (the stand-in has none open). */
  holderStoppedMs: number;
  /**
   * The holder's last claim written in `from` expires: the earliest anyone else could claim the lease
   * (once `to` is the write region its own holder may claim again there, and hand the lease over).
   */
  leaseExpiredMs: number;
  failoverMs: number;
  takeoverMs: number;
}

/**
 * The write region's database stalls (`fault <write> stall`: requests accepted, never answered) while
 * its streamer holds the lease; it stays stalled until the caller clears it. The lease is watched as
 * the region next in priority has it, the copy that becomes the write region's.
 */
export async function hangWriteRegion(set: RegionSet): Promise<HungWriteRegion> {
  const { from, to, failoversBefore } = nextWriteRegion(set);
  const holder = (await set.status()).leaseHolder?.holder;
  if (!holder) throw new Error(`nobody holds the ingest lease in ${from}`);
  const watcher = new MongoClient(set.tier.signedIn(set.tier.get(to).front.url), {
    readPreference: 'secondaryPreferred',
    serverSelectionTimeoutMS: 2_000,
  });
  const leases = watcher.db(DEFAULT_DATABASE).collection<LeaseDocument>(DEFAULT_LEASE_COLLECTION);
  const writtenIn = findRegion(from)!.displayName;
  let heldUntil = 0;
  const started = Date.now();
  await set.fault(from, { kind: 'stall' });
  try {
    const [holderStoppedMs, failoverMs, takeoverMs] = await Promise.all([
      timeUntil(started, `${from}'s stream connection closed`, set.options.leaseTtlMs + 10_000, () => {
        return set.xApi.liveStreams === 0;
      }),
      timeUntil(started, 'an automatic failover', set.options.failoverWindowMs + 30_000, () => {
        return set.automaticFailovers.length > failoversBefore;
      }),
      timeUntil(started, `${to}'s streamer holds the lease`, takeoverBudgetMs(set), async () => {
        const lease = await readLease(leases, { maxTimeMS: 1_000 }).catch(() => null);
        if (lease?.holder === holder && lease.primary === writtenIn)
          heldUntil = Math.max(heldUntil, lease.expiresAt.getTime());
        return lease !== null && lease.holder !== holder && (await streamsIn(set, to));
      }),
    ]);
    if (heldUntil === 0) throw new Error(`never saw ${from}'s lease in ${to}'s copy`);
    return { from, to, holderStoppedMs, leaseExpiredMs: heldUntil - started, failoverMs, takeoverMs };
  } finally {
    await watcher.close();
  }
}

/**
 * How long a new write region's streamer may take to stream: the window, a promotion, its driver's
 * next heartbeat (10 s), one ttl for a lease written under the old write region, a renewal period,
 * and as much again of slack for a loaded machine.
 */
function takeoverBudgetMs(set: RegionSet): number {
  return 2 * (set.options.failoverWindowMs + 5_000 + 10_000 + set.options.leaseTtlMs + set.options.leaseTtlMs / 5);
}

function nextWriteRegion(set: RegionSet): { from: string; to: string; failoversBefore: number } {
  const from = set.tier.status().writeRegion;
  const to = nextInPriority(REGION_NAMES, from, (name) => set.tier.get(name).postgres.running);
  if (!to) throw new Error(`no region to fail over to from ${from}`);
  return { from, to, failoversBefore: set.automaticFailovers.length };
}
