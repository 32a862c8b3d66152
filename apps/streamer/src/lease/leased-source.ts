import type { Logger } from '@kubeonazure/service-kit';
import type { Sleep, Source } from '../sources/source.js';
import { afterClaim, mayStream, validUntil, type LeaseTerms } from './lease.js';
import type { LeaseStore } from './lease-store.js';

export interface LeaseIdentity {
  /** Unique per process: host name, pid and a random part. */
  holder: string;
  region: string | null;
  /**
   * Whether this streamer runs in the write region now (next to the primary). Outside it a streamer
   * stands by: it waits one ttl before its first claim and claims an expired lease only a ttl after
   * its expiry, so the write region's streamer takes a free lease first, also after a failover.
   */
  inWriteRegion: () => boolean;
}

/**
 * Runs a source only while this process holds the ingest lease. Standing by, it retries the claim
 * every `renewEveryMs`; holding, it renews as often. A new source is made for each holding period
 * (a stopped source does not start again). Before every claim it checks its last claim's validity on
 * its own clock, so a holder that was paused past it stops its source first (see lease.ts).
 */
export class LeasedSource implements Source {
  private readonly stopping = new AbortController();
  private inner: { source: Source; done: Promise<void> } | null = null;
  private claimValidUntil: number | null = null;

  constructor(
    private readonly store: LeaseStore,
    private readonly makeSource: () => Source,
    private readonly terms: LeaseTerms,
    private readonly identity: LeaseIdentity,
    private readonly log: Logger,
    private readonly sleep: Sleep,
    private readonly onChange: (holding: boolean) => void = () => undefined,
    private readonly clock: () => number = Date.now,
  ) {}

  /** A standby is healthy: it is doing its job. A holder is as connected as its source. */
  get connected(): boolean {
    return this.inner ? this.inner.source.connected : true;
  }

  get holding(): boolean {
    return this.inner !== null;
  }

  async run(): Promise<void> {
    const { signal } = this.stopping;
    if (!this.identity.inWriteRegion()) await this.sleep(this.terms.ttlMs, signal);
    try {
      while (!signal.aborted) {
        if (this.inner && !mayStream(this.claimValidUntil, this.clock())) {
          this.log.warn('ingest lease expired before it was renewed; stopping the source');
          await this.stopInner();
          // Claim again only a round later: X sees the old connection closed before any new one opens.
          await this.sleep(this.terms.renewEveryMs, signal);
          continue;
        }
        const requestedAt = this.clock();
        const grace = this.identity.inWriteRegion() ? 0 : this.terms.ttlMs;
        const claimed = await this.store
          .claim(this.identity.holder, this.identity.region, new Date(), grace)
          .catch((error: unknown) => {
            this.log.warn({ err: error }, 'ingest lease claim failed');
            return false;
          });
        if (signal.aborted) break;
        if (claimed) this.claimValidUntil = validUntil(requestedAt, this.terms);
        // A failed claim does not end a valid one: the next round's check does, once it lapses.
        const action = afterClaim(claimed || mayStream(this.claimValidUntil, this.clock()), this.inner !== null);
        if (action === 'start') this.startInner();
        if (action === 'stop') {
          this.log.warn('ingest lease taken by another streamer; stopping the source');
          await this.stopInner();
        }
        await this.sleep(this.terms.renewEveryMs, signal);
      }
    } finally {
      const held = this.inner !== null;
      await this.stopInner();
      if (held) await this.store.release(this.identity.holder).catch(() => undefined);
    }
  }

  stop(): void {
    this.stopping.abort();
  }

  private startInner(): void {
    const source = this.makeSource();
    const done = source.run().catch((error: unknown) => {
      this.log.error({ err: error }, 'source failed while holding the lease');
    });
    this.inner = { source, done };
    this.log.info({ holder: this.identity.holder }, 'ingest lease acquired; streaming');
    this.onChange(true);
  }

  private async stopInner(): Promise<void> {
    const inner = this.inner;
    if (!inner) return;
    this.inner = null;
    this.claimValidUntil = null;
    inner.source.stop();
    await inner.done;
    this.onChange(false);
  }
}
