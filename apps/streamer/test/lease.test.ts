import { setTimeout as delay } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import { createLogger } from '@kubeonazure/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { leaseTerms, type LeaseDocument } from '../src/lease/lease.js';
import { LeaseStore } from '../src/lease/lease-store.js';
import { LeasedSource } from '../src/lease/leased-source.js';
import type { Sleep, Source } from '../src/sources/source.js';
import { databaseName, waitFor } from './helpers.js';

// The lease on the real database: claims by conditional update, two keepers racing for one lease.
const client = new MongoClient(testMongoUrl());
const database = databaseName('lease');
const terms = leaseTerms(900);
const log = createLogger({ service: 'streamer', region: 'local', level: 'silent' });
let store: LeaseStore;
let name = 0;

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

beforeAll(async () => {
  await client.connect();
});
afterAll(async () => {
  await client.db(database).dropDatabase();
  await client.close();
});

function newStore(): LeaseStore {
  return new LeaseStore(client.db(database).collection<LeaseDocument>('leases'), `ingest-${++name}`, terms);
}

describe('LeaseStore', () => {
  beforeAll(() => {
    store = newStore();
  });

  it('gives a free lease to the first claimant, refuses a live one, renews for its holder', async () => {
    const now = new Date();
    expect(await store.claim('a', 'westus', now)).toBe(true);
    expect(await store.claim('b', 'uksouth', new Date(now.getTime() + 100))).toBe(false);
    expect(await store.claim('a', 'westus', new Date(now.getTime() + 200))).toBe(true);
    expect((await store.read())?.holder).toBe('a');
  });

  it('hands an expired lease to the next claimant, and the old holder cannot renew it', async () => {
    const later = new Date(Date.now() + terms.ttlMs + 1_000);
    expect(await store.claim('b', 'uksouth', later)).toBe(true);
    expect(await store.claim('a', 'westus', new Date(later.getTime() + 1))).toBe(false);
    expect((await store.read())?.region).toBe('uksouth');
  });

  it('gives an expired lease to a standby only a grace after its expiry', async () => {
    const graceStore = newStore();
    const now = Date.now();
    expect(await graceStore.claim('a', 'westus', new Date(now))).toBe(true);
    const justExpired = new Date(now + terms.ttlMs + 10);
    expect(await graceStore.claim('standby', 'uksouth', justExpired, terms.ttlMs)).toBe(false);
    expect(await graceStore.claim('writer', 'westus', justExpired, 0)).toBe(true);
  });

  it('is free again at once after its holder releases it', async () => {
    await store.release('b');
    expect(await store.claim('c', 'southeastasia')).toBe(true);
  });
});

describe('LeasedSource', () => {
  it('runs exactly one source among two keepers, and hands over when the holder stops', async () => {
    const shared = newStore();
    const periods: { who: string; from: number; to: number | null }[] = [];
    const keeper = (who: string) =>
      new LeasedSource(
        shared,
        () => new RecordingSource(periods, who),
        terms,
        { holder: who, region: who, inWriteRegion: () => true },
        log,
        realSleep,
      );
    const a = keeper('a');
    const b = keeper('b');
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
    const sleeper = new LeasedSource(
      shared,
      () => new RecordingSource(periods, 'a'),
      terms,
      { holder: 'a', region: 'westus', inWriteRegion: () => true },
      log,
      pausingSleep,
    );
    const other = new LeasedSource(
      shared,
      () => new RecordingSource(periods, 'b'),
      terms,
      { holder: 'b', region: 'uksouth', inWriteRegion: () => true },
      log,
      realSleep,
    );
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
