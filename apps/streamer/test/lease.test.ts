import { setTimeout as delay } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import { createLogger } from '@kubeonazure/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { startCosmosAccount, throttledError, WireFront } from '@kubeonazure/cosmos-wire-front';
import { REGIONS } from '@kubeonazure/regions';
import { createClient, type LeaseDocument } from '@kubeonazure/tweet-model';
import { leaseTerms, type ClaimOutcome, type LeaseTerms } from '../src/lease/lease.js';
import { DatabaseClock, helloLocalTime } from '../src/lease/database-clock.js';
import { LeaseStore } from '../src/lease/lease-store.js';
import { LeasedSource } from '../src/lease/leased-source.js';
import { watchWriteRegion, type WriteRegionWatch } from '../src/lease/write-region.js';
import type { Sleep, Source } from '../src/sources/source.js';
import { databaseName, waitFor } from './helpers.js';

// The lease on the real database: claims by conditional update, two keepers racing for one lease.
const client = new MongoClient(testMongoUrl());
const database = databaseName('lease');
// Claims are bounded by a fifth of the ttl: 300 ms leaves room for a loaded test machine.
const terms = leaseTerms(1_500);
const log = createLogger({ service: 'streamer', region: 'local', level: 'silent' });
let store: LeaseStore;
let name = 0;
let names = 0;

/** A source that records when it ran, on the shared timeline of the test. */
class RecordingSource implements Source {
  connected = false;
  private stopped!: () => void;
  constructor(
    private readonly periods: { who: string; from: number; to: number | null }[],
    private readonly who: string,
  ) {}
  run(): Promise<void> {
    const period = { who: this.who, from: Date.now(), to: null as number | null };
    this.periods.push(period);
    this.connected = true;
    return new Promise((resolve) => {
      this.stopped = () => {
        period.to = Date.now();
        this.connected = false;
        resolve();
      };
    });
  }
  stop(): void {
    this.stopped?.();
  }
}

const realSleep: Sleep = (ms, signal) => delay(ms, undefined, signal ? { signal } : {}).catch(() => undefined);

type Periods = { who: string; from: number; to: number | null }[];

/**
 * The keeper's view of the write region, switchable as a failover switches it; by default a single
 * server's (no failover to wait out).
 */
function region(inWriteRegion: boolean, primaryRegion: string | null = null) {
  const view = { inWriteRegion, primaryRegion, primarySince: Number.NEGATIVE_INFINITY };
  return {
    view,
    /** The driver sees a new primary region now. */
    promote(here: boolean, primary: string) {
      view.inWriteRegion = here;
      view.primaryRegion = primary;
      view.primarySince = Date.now();
    },
  };
}

/** A keeper named `who` whose sources record their periods. */
function keeper(
  store: LeaseStore,
  periods: Periods,
  who: string,
  options: {
    where?: ReturnType<typeof region>;
    watch?: WriteRegionWatch;
    terms?: LeaseTerms;
    sleep?: Sleep;
    /** The keeper's monotonic clock. */
    clock?: () => number;
    /** The keeper's host clock (Unix ms). */
    wall?: () => number;
  } = {},
): LeasedSource {
  const where = options.where ?? region(true);
  return new LeasedSource(
    store,
    () => new RecordingSource(periods, who),
    options.terms ?? terms,
    { holder: who, region: who, writeRegion: options.watch ?? (() => where.view) },
    log,
    options.sleep ?? realSleep,
    {},
    {
      database: new DatabaseClock(() => helloLocalTime(client.db(database), 1_000), options.clock),
      ...(options.clock ? { monotonic: options.clock } : {}),
      ...(options.wall ? { wall: options.wall } : {}),
    },
  );
}

beforeAll(async () => {
  await client.connect();
  // As in production (and region-sim): the collection exists before the first claim.
  await client.db(database).createCollection('leases');
});
afterAll(async () => {
  await client.db(database).dropDatabase();
  await client.close();
});

/** Whether a claim got the lease. */
async function got(claim: Promise<ClaimOutcome>): Promise<boolean> {
  return (await claim).kind === 'claimed';
}

function newStore(storeTerms = terms): LeaseStore {
  return new LeaseStore(client.db(database).collection<LeaseDocument>('leases'), `ingest-${++name}`, storeTerms);
}

describe('LeaseStore', () => {
  beforeAll(() => {
    store = newStore();
  });

  it('gives a free lease to the first claimant, refuses a live one, renews for its holder', async () => {
    const now = new Date();
    expect(await got(store.claim('a', 'westus', now))).toBe(true);
    expect((await store.claim('b', 'uksouth', new Date(now.getTime() + 100))).kind).toBe('refused');
    expect(await got(store.claim('a', 'westus', new Date(now.getTime() + 200)))).toBe(true);
    expect((await store.read())?.holder).toBe('a');
  });

  it('hands an expired lease to the next claimant, and the old holder cannot renew it', async () => {
    const later = new Date(Date.now() + terms.ttlMs + 1_000);
    expect(await got(store.claim('b', 'uksouth', later))).toBe(true);
    expect(await got(store.claim('a', 'westus', new Date(later.getTime() + 1)))).toBe(false);
    expect((await store.read())?.region).toBe('uksouth');
  });

  it('gives an expired lease to a standby only a grace after its expiry', async () => {
    const graceStore = newStore();
    const now = Date.now();
    expect(await got(graceStore.claim('a', 'westus', new Date(now)))).toBe(true);
    const justExpired = new Date(now + terms.ttlMs + 10);
    expect(await got(graceStore.claim('standby', 'uksouth', justExpired, terms.ttlMs))).toBe(false);
    expect(await got(graceStore.claim('writer', 'westus', justExpired, 0))).toBe(true);
  });

  it('after a promotion, takes over at once only a lease written under the current write region', async () => {
    const promoted = newStore();
    const start = Date.now();
    expect(await got(promoted.claim('a', 'westus', new Date(start), 0, { primary: 'West US' }))).toBe(true);
    const expired = new Date(start + terms.ttlMs + 10);
    // UK South was just promoted: the document, from West US's time, may lack renewals.
    const early = { primary: 'UK South', writtenUnder: 'UK South' };
    expect((await promoted.claim('b', 'uksouth', expired, 0, early)).kind).toBe('refused');
    // A ttl after the promotion any expired lease may be taken, and it records the write region.
    const claimed = await promoted.claim('b', 'uksouth', expired, 0, { primary: 'UK South' });
    expect(claimed).toMatchObject({ kind: 'claimed', lease: { holder: 'b', primary: 'UK South' } });
  });

  it('is free again at once for the write region after its holder releases it', async () => {
    await store.release('b');
    expect(await got(store.claim('c', 'southeastasia'))).toBe(true);
  });
});

describe('DatabaseClock on the database', () => {
  it("reads the real database's time", async () => {
    const clock = new DatabaseClock(() => helloLocalTime(client.db(database), 1_000));
    await clock.refresh();
    const now = clock.at()!;
    expect(now.earliest).toBeLessThanOrEqual(now.latest);
    expect(Math.abs(now.earliest - Date.now())).toBeLessThan(1_000);
  });
});

describe('LeasedSource', () => {
  it('runs exactly one source among two keepers, and hands over when the holder stops', async () => {
    const shared = newStore();
    const periods: Periods = [];
    const a = keeper(shared, periods, 'a');
    const b = keeper(shared, periods, 'b');
    const runA = a.run();
    await waitFor(() => a.holding, 'a holds the lease');
    const runB = b.run();
    await delay(terms.ttlMs * 2);
    expect([a.holding, b.holding]).toEqual([true, false]);

    a.stop();
    await runA;
    await waitFor(() => b.holding, 'b takes over');
    b.stop();
    await runB;
    expect(periods.map((period) => period.who)).toEqual(['a', 'b']);
    expect(periods[1]!.from).toBeGreaterThanOrEqual(periods[0]!.to!);
  });

  it('stops a paused holder that wakes after its lease expired before it claims or streams again', async () => {
    const shared = newStore();
    const periods: { who: string; from: number; to: number | null }[] = [];
    // The holder's process is paused for three ttls right after its first claim (as SIGSTOP would).
    let paused = false;
    const pausingSleep: Sleep = async (ms, signal) => {
      if (!paused) {
        paused = true;
        await delay(terms.ttlMs * 3);
        return;
      }
      await realSleep(ms, signal);
    };
    const sleeper = keeper(shared, periods, 'a', { sleep: pausingSleep });
    const other = keeper(shared, periods, 'b');
    const runA = sleeper.run();
    await waitFor(() => sleeper.holding, 'a holds the lease');
    const claimedAt = Date.now();
    const runB = other.run();
    await waitFor(() => other.holding, 'b takes the expired lease', terms.ttlMs * 5);
    // b can only match the document once a's claim has expired there, after a stopped trusting it.
    expect(periods.find((period) => period.who === 'b')!.from).toBeGreaterThanOrEqual(
      claimedAt + terms.ttlMs - terms.safetyMs,
    );
    await waitFor(() => !sleeper.holding, 'a stops on waking', terms.ttlMs * 5);
    await delay(terms.ttlMs);
    sleeper.stop();
    other.stop();
    await Promise.all([runA, runB]);
    // a ran once and never again after waking; b's period began after a's claim had lapsed on a's own clock.
    expect(periods.map((period) => period.who)).toEqual(['a', 'b']);
  });
});

// Issue 17: the situations production brings (hung, late and refused claims, releases, failovers).
describe('the lease under failures', () => {
  const periodsOf = (): Periods => [];
  const neverOverlap = (periods: Periods) => {
    const sorted = [...periods].sort((a, b) => a.from - b.from);
    for (const [index, period] of sorted.entries()) {
      const next = sorted[index + 1];
      if (next) expect(next.from).toBeGreaterThanOrEqual(period.to ?? Number.POSITIVE_INFINITY);
    }
  };
  it('a release keeps the standby grace: the write region takes the lease first', async () => {
    const graceStore = newStore();
    expect(await got(graceStore.claim('a', 'uksouth', new Date()))).toBe(true);
    await graceStore.release('a');
    expect(await got(graceStore.claim('standby', 'southeastasia', new Date(), terms.ttlMs))).toBe(false);
    expect(await got(graceStore.claim('writer', 'westus', new Date(), 0))).toBe(true);
  });

  it('lets a restarted write-region streamer take a released lease written under the same primary at once', async () => {
    const shared = newStore();
    const periods = periodsOf();
    const old = keeper(shared, periods, 'old', { where: region(true, 'West US') });
    const runOld = old.run();
    await waitFor(() => old.holding, 'the old pod holds the lease');
    old.stop();
    await runOld;
    // The new pod has just seen the primary for the first time.
    const fresh = region(true, 'West US');
    fresh.view.primarySince = Date.now();
    const next = keeper(shared, periods, 'new', { where: fresh });
    const runNext = next.run();
    await waitFor(() => next.holding, 'the new pod holds the lease', terms.ttlMs / 2);
    next.stop();
    await runNext;
    neverOverlap(periods);
  });

  it("a standby whose host clock runs 5 s ahead waits for the holder's expiry by the database's clock", async () => {
    const shared = newStore();
    const periods = periodsOf();
    const a = keeper(shared, periods, 'a');
    const runA = a.run();
    await waitFor(() => a.holding, 'a holds the lease');
    const b = keeper(shared, periods, 'b', { wall: () => Date.now() + 5_000 });
    const runB = b.run();
    await delay(terms.ttlMs * 2);
    expect(periods.map((period) => period.who)).toEqual(['a']);
    a.stop();
    await runA;
    await waitFor(() => b.holding, 'b takes the released lease', terms.ttlMs * 3);
    b.stop();
    await runB;
    neverOverlap(periods);
  });

  it('stops a holder whose claim hangs when its validity ends, before anyone else can stream', async () => {
    const front = await WireFront.start(testMongoUrl());
    const stalling = new MongoClient(front.url);
    try {
      const name = `ingest-hung-${++names}`;
      const viaFront = new LeaseStore(stalling.db(database).collection<LeaseDocument>('leases'), name, terms);
      const direct = new LeaseStore(client.db(database).collection<LeaseDocument>('leases'), name, terms);
      const periods = periodsOf();
      const a = keeper(viaFront, periods, 'a');
      const runA = a.run();
      await waitFor(() => a.holding, 'a holds the lease');
      front.stall();
      const b = keeper(direct, periods, 'b');
      const runB = b.run();
      await waitFor(() => b.holding, 'b takes over', terms.ttlMs * 10);
      neverOverlap(periods);
      // Every claim, and the release, is bounded: a ends while the path is still stalled.
      a.stop();
      await runA;
      b.stop();
      await runB;
    } finally {
      front.resume();
      await stalling.close(true);
      await front.close();
    }
  });

  it('treats a claim answered after its own validity as lost (a pause between request and answer)', async () => {
    // Every claim's answer comes a ttl after its request, on the keeper's clock.
    let offset = 0;
    const periods = periodsOf();
    let claims = 0;
    const pausing = newStore();
    const claim = pausing.claim.bind(pausing);
    pausing.claim = async (...args: Parameters<LeaseStore['claim']>) => {
      const answer = await claim(...args);
      claims++;
      offset += terms.ttlMs;
      return answer;
    };
    const late = keeper(pausing, periods, 'late', { clock: () => Date.now() + offset });
    const run = late.run();
    await waitFor(() => claims >= 3, 'three claims');
    late.stop();
    await run;
    expect(periods).toEqual([]);
  });

  it('stops at once when a claim is refused, not only when its validity ends', async () => {
    const slow = leaseTerms(3_000);
    const refusing = new LeaseStore(
      client.db(database).collection<LeaseDocument>('leases'),
      `ingest-refused-${++names}`,
      slow,
    );
    const periods = periodsOf();
    const a = keeper(refusing, periods, 'a', { terms: slow });
    const run = a.run();
    await waitFor(() => a.holding, 'a holds the lease');
    // Someone else's claim landed (as after a failover that lost a's renewals): a's next claim is refused.
    const takenAt = Date.now();
    await client
      .db(database)
      .collection<LeaseDocument>('leases')
      .updateOne(
        { _id: `ingest-refused-${names}` },
        { $set: { holder: 'intruder', expiresAt: new Date(takenAt + 60_000) } },
      );
    await waitFor(() => !a.holding, 'a stops', slow.ttlMs * 2);
    expect(periods[0]!.to! - takenAt).toBeLessThan(slow.ttlMs / 2);
    a.stop();
    await run;
  });

  it('survives a failover that lost renewals: never two at once, held in the new write region within two ttls', async () => {
    const shared = newStore();
    const periods = periodsOf();
    const west = region(true, 'West US');
    const uk = region(false, 'West US');
    const a = keeper(shared, periods, 'a', { where: west });
    const runA = a.run();
    await waitFor(() => a.holding, 'a holds the lease');
    const b = keeper(shared, periods, 'b', { where: uk });
    const runB = b.run();
    // The promoted region's copy of the lease lacks a's last renewals: it has expired there.
    await client
      .db(database)
      .collection<LeaseDocument>('leases')
      .updateOne({ _id: `ingest-${name}` }, { $set: { expiresAt: new Date(Date.now() - terms.ttlMs) } });
    west.promote(false, 'UK South');
    uk.promote(true, 'UK South');
    await waitFor(() => b.holding, 'the new write region holds the lease', terms.ttlMs * 2);
    await delay(terms.ttlMs);
    expect([a.holding, b.holding]).toEqual([false, true]);
    neverOverlap(periods);
    a.stop();
    b.stop();
    await Promise.all([runA, runB]);
  });

  it('hands the lease back to the write region when its streamer waits, within two ttls', async () => {
    const shared = newStore();
    const periods = periodsOf();
    const a = keeper(shared, periods, 'a', { where: region(false) });
    const runA = a.run();
    await waitFor(() => a.holding, 'the read region holds the lease', terms.ttlMs * 3);
    const b = keeper(shared, periods, 'b', { where: region(true) });
    const runB = b.run();
    await waitFor(() => b.holding, 'the write region holds the lease', terms.ttlMs * 2);
    expect(a.holding).toBe(false);
    neverOverlap(periods);
    a.stop();
    b.stop();
    await Promise.all([runA, runB]);
  });

  it('lets the write region take a fresh lease first, as soon as its driver knows the primary', async () => {
    // Each streamer starts as the app starts it: a client not connected yet, so no write region known.
    const slow = leaseTerms(5_000);
    const account = await startCosmosAccount(
      testMongoUrl(),
      REGIONS.map((r) => ({ region: r.displayName, primary: r.role === 'write' })),
    );
    const west = REGIONS.find((r) => r.role === 'write')!;
    const other = REGIONS.find((r) => r.role !== 'write')!;
    const clients = [west, other].map(() => createClient(account.url, { role: 'writer' }));
    try {
      const lease = `ingest-fresh-${++names}`;
      const periods = periodsOf();
      const keepers = [west, other].map((r, index) =>
        keeper(
          new LeaseStore(clients[index]!.db(database).collection<LeaseDocument>('leases'), lease, slow),
          periods,
          r.name,
          { terms: slow, watch: watchWriteRegion(clients[index]!, r.displayName) },
        ),
      );
      const startedAt = Date.now();
      const runs = keepers.map((k) => k.run());
      for (const c of clients) void c.connect().catch(() => undefined);
      await waitFor(() => keepers[0]!.holding, 'the write region holds the lease', slow.ttlMs * 3);
      await delay(slow.renewEveryMs * 2);
      expect(periods.map((period) => period.who)).toEqual([west.name]);
      // Not a ttl after start: the read region's streamer, standing by for that ttl, never had it.
      expect(periods[0]!.from - startedAt).toBeLessThan(slow.ttlMs);
      for (const k of keepers) k.stop();
      await Promise.all(runs);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await account.close();
    }
  });

  it('keeps the lease through a throttled write region, and still stops in time when no renewal gets through', async () => {
    // Claims bounded by 2 s: a throttled claim is retried at the next second, when the budget renews.
    const slow = leaseTerms(10_000);
    const front = await WireFront.start(testMongoUrl());
    const viaFront = new MongoClient(front.url);
    const eater = new MongoClient(front.url);
    const spending = new AbortController();
    try {
      const lease = `ingest-throttled-${++names}`;
      const throttledStore = new LeaseStore(viaFront.db(database).collection<LeaseDocument>('leases'), lease, slow);
      const periods = periodsOf();
      const a = keeper(throttledStore, periods, 'a', { terms: slow });
      const run = a.run();
      await waitFor(() => a.holding, 'a holds the lease');
      // 10 RU/s, spent 50 ms into every second by other writes (the streamer's own batches, say): a claim
      // made later in the second is throttled until the next.
      front.throttle(10);
      void (async () => {
        const load = eater.db(database).collection<{ _id: string; n: number }>('load');
        while (!spending.signal.aborted) {
          await delay(1_050 - (Date.now() % 1_000), undefined, { signal: spending.signal }).catch(() => undefined);
          await load.updateOne({ _id: 'load' }, { $inc: { n: 1 } }, { upsert: true }).catch(() => undefined);
        }
      })();
      const throttledFrom = front.usage.throttled;
      await delay(slow.ttlMs * 2);
      expect(front.usage.throttled).toBeGreaterThan(throttledFrom);
      expect(periods).toMatchObject([{ who: 'a', to: null }]);

      // Now every claim is throttled for longer than a claim may take: a stops before its lease expires.
      front.errors.rejectNext('findAndModify', Number.POSITIVE_INFINITY, throttledError(slow.ttlMs));
      const refusedFrom = Date.now();
      await waitFor(() => !a.holding, 'a stops', slow.ttlMs * 2);
      const stored = await client.db(database).collection<LeaseDocument>('leases').findOne({ _id: lease });
      expect(periods[0]!.to!).toBeLessThanOrEqual(stored!.expiresAt.getTime() - slow.safetyMs + 200);
      expect(periods[0]!.to! - refusedFrom).toBeLessThan(slow.ttlMs);
      a.stop();
      await run;
    } finally {
      spending.abort();
      front.errors.rejectNext('findAndModify', 0);
      await viaFront.close(true);
      await eater.close(true);
      await front.close();
    }
  }, 60_000);
});
