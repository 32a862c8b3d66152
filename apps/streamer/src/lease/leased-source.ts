import type { Logger } from '@kubeonazure/service-kit';
import type { Sleep, Source } from '../sources/source.js';
import {
  afterClaim,
  handsBack,
  takeoverScope,
  validUntil,
  type ClaimOutcome,
  type LeaseAction,
  type LeaseTerms,
} from './lease.js';
import type { DatabaseClock } from './database-clock.js';
import type { LeaseStore } from './lease-store.js';
import type { WriteRegionWatch } from './write-region.js';

export interface LeaseIdentity {
  /** Unique per process: host name, pid and a random part. */
  holder: string;
  region: string | null;
  /**
   * Where the write region is now, per the driver (write-region.ts). Outside it a streamer stands by:
   * it waits one ttl before its first claim and claims an expired lease only a ttl after its expiry, so
   * the write region's streamer takes a free lease first, also after a failover.
   */
  writeRegion: WriteRegionWatch;
}

/** What a source made for one holding period asks before it reads: whether the lease is still valid. */
export interface LeaseGuard {
  valid(): boolean;
}

/**
 * The keeper's clocks: `database` is what the lease's times are written and compared in; `monotonic`
 * (ms, never steps) times the lease's validity; `wall` (this host's Unix ms) only reports it.
 */
export interface LeaseClocks {
  database: DatabaseClock;
  monotonic: () => number;
  wall: () => number;
}

/** What the keeper reports: whether it streams, and until when (Unix ms, own clock) its claim is valid. */
export interface LeaseObserver {
  holding?: (holding: boolean) => void;
  validUntil?: (until: number | null) => void;
}

/**
 * Runs a source only while this process holds the ingest lease (the argument is in lease.ts). Standing
 * by, it retries the claim every `renewEveryMs`; holding, it renews as often, and a timer stops the
 * source the moment the last claim's validity ends. A new source is made for each holding period (a
 * stopped source does not start again), with a guard it asks before reading: a process that was hung or
 * starved past its validity may run its I/O before that timer, and must not read from its stream then.
 * The source is stopped, and its X connection closed, before a release.
 */
export class LeasedSource implements Source {
  private readonly stopping = new AbortController();
  private inner: { source: Source; done: Promise<void> } | null = null;
  private expiry: NodeJS.Timeout | undefined;
  /** Until when (monotonic) the current holding period's last claim is valid; -Infinity when not holding. */
  private validity = Number.NEGATIVE_INFINITY;
  /** When `run` began (monotonic): outside the write region the first claim waits a ttl from then. */
  private startedAt = 0;
  private readonly clocks: LeaseClocks;
  private readonly guard: LeaseGuard = { valid: () => this.clocks.monotonic() < this.validity };

  constructor(
    private readonly store: LeaseStore,
    private readonly makeSource: (lease: LeaseGuard) => Source,
    private readonly terms: LeaseTerms,
    private readonly identity: LeaseIdentity,
    private readonly log: Logger,
    private readonly sleep: Sleep,
    private readonly observer: LeaseObserver,
    clocks: Pick<LeaseClocks, 'database'> & Partial<LeaseClocks>,
  ) {
    this.clocks = { monotonic: () => performance.now(), wall: Date.now, ...clocks };
  }

  /** A standby is healthy: it is doing its job. A holder is as connected as its source. */
  get connected(): boolean {
    return this.inner ? this.inner.source.connected : true;
  }

  get holding(): boolean {
    return this.inner !== null;
  }

  async run(): Promise<void> {
    const { signal } = this.stopping;
    this.startedAt = this.clocks.monotonic();
    try {
      while (!signal.aborted) {
        await this.round();
        await this.sleep(this.terms.renewEveryMs, signal);
      }
    } finally {
      const held = this.inner !== null;
      await this.stopInner();
      if (held) await this.release();
    }
  }

  stop(): void {
    this.stopping.abort();
  }

  /**
   * One claim (none while the driver knows no primary) and what follows from its answer. Not holding,
   * the claim may take over only what `takeoverScope` allows (see the failover point in lease.ts), and
   * outside the write region not before a ttl after start. The write region is looked up each round, not
   * once at start: the driver learns the topology only after its first connect, and a write-region
   * streamer that stood by for its first ttl left a fresh lease to whichever region claimed first.
   */
  private async round(): Promise<void> {
    const { holder, region } = this.identity;
    const view = this.identity.writeRegion();
    if (!this.inner && !view.inWriteRegion && this.clocks.monotonic() < this.startedAt + this.terms.ttlMs) return;
    await this.clocks.database.refresh();
    // Validity counts from before the claim is sent, on the clock that does not step.
    const sentAt = this.clocks.monotonic();
    const databaseTime = this.clocks.database.at(sentAt);
    // Without the database's time (it never answered) nothing can be claimed; a holder's validity runs out.
    if (databaseTime === null) return;
    const scope = this.inner ? {} : takeoverScope(this.clocks.wall(), view, this.terms);
    if (scope === null) return;
    const grace = view.inWriteRegion ? 0 : this.terms.ttlMs;
    // An expired lease is matched by the earliest the database's time may be, this claim's ttl counts from the latest.
    const outcome = await this.store
      .claim(holder, region, new Date(databaseTime.earliest), grace, {
        ...scope,
        primary: view.primaryRegion,
        expiresFrom: new Date(databaseTime.latest),
      })
      .catch((error: unknown): ClaimOutcome => {
        this.log.warn({ err: error }, 'ingest lease claim failed');
        return { kind: 'failed' };
      });
    if (this.stopping.signal.aborted) {
      // Stopping: a lease just taken is given up at once rather than left to expire.
      if (outcome.kind === 'claimed' && !this.inner) await this.release();
      return;
    }
    const until = validUntil(sentAt, this.terms);
    const now = this.clocks.monotonic();
    const handBack =
      outcome.kind === 'claimed' &&
      handsBack(outcome.lease, holder, this.identity.writeRegion().inWriteRegion, this.databaseNow().getTime());
    await this.act(afterClaim(outcome, this.inner !== null, until, now, handBack), until);
    if (outcome.kind === 'refused' && this.identity.writeRegion().inWriteRegion) await this.standBy();
  }

  private async act(action: LeaseAction, until: number): Promise<void> {
    switch (action) {
      case 'start':
        this.startInner();
        this.holdUntil(until);
        return;
      case 'renewed':
        this.holdUntil(until);
        return;
      case 'stop':
        this.log.warn('ingest lease taken by another streamer; stopping the source');
        await this.stopInner();
        return;
      case 'hand-back':
        this.log.info('a streamer in the write region waits for the ingest lease; handing it over');
        await this.stopInner();
        await this.release();
        return;
      case 'keep':
      case 'wait':
        return;
    }
  }

  /** Gives the lease up once the source has stopped (and closed its X connection). */
  private async release(): Promise<void> {
    await this.store.release(this.identity.holder, this.databaseNow()).catch((error: unknown) => {
      this.log.warn({ err: error }, 'ingest lease release failed; it expires instead');
    });
  }

  /** The earliest the database's time may be now; this host's only before the database ever answered (nothing claimed then). */
  private databaseNow(): Date {
    return new Date(this.clocks.database.at()?.earliest ?? this.clocks.wall());
  }

  /** Names this write-region streamer as waiting, so a holder elsewhere hands the lease over. */
  private async standBy(): Promise<void> {
    await this.store
      .standBy(this.identity.holder, this.identity.region, this.databaseNow())
      .catch((error: unknown) => this.log.warn({ err: error }, 'cannot name this streamer as the lease candidate'));
  }

  /** Streams until `until` (monotonic) unless a later claim extends it. */
  private holdUntil(until: number): void {
    clearTimeout(this.expiry);
    this.validity = until;
    const left = until - this.clocks.monotonic();
    this.expiry = setTimeout(() => {
      this.log.warn('ingest lease validity ended before a renewal was answered; stopping the source');
      void this.stopInner();
    }, left);
    this.observer.validUntil?.(this.clocks.wall() + left);
  }

  private startInner(): void {
    const source = this.makeSource(this.guard);
    const done = source.run().catch((error: unknown) => {
      this.log.error({ err: error }, 'source failed while holding the lease');
    });
    this.inner = { source, done };
    this.log.info({ holder: this.identity.holder }, 'ingest lease acquired; streaming');
    this.observer.holding?.(true);
  }

  private async stopInner(): Promise<void> {
    clearTimeout(this.expiry);
    this.validity = Number.NEGATIVE_INFINITY;
    const inner = this.inner;
    if (!inner) return;
    this.inner = null;
    inner.source.stop();
    this.observer.validUntil?.(null);
    await inner.done;
    this.observer.holding?.(false);
  }
}
