import { setTimeout as delay } from 'node:timers/promises';
import { withThrottleRetry, type LeaseDocument } from '@kubeonazure/tweet-model';
import { MongoServerError, type Collection } from 'mongodb';
import {
  candidateUpdate,
  claimFilter,
  claimUpdate,
  releaseUpdate,
  type ClaimOutcome,
  type LeaseTerms,
} from './lease.js';

const DUPLICATE_KEY = 11000;

/** The lease document in the database, claimed by conditional update (upsert for the first claim). */
export class LeaseStore {
  constructor(
    private readonly collection: Collection<LeaseDocument>,
    private readonly name: string,
    private readonly terms: LeaseTerms,
    /** Called on every 16500 answer to a claim, a release or a stand-by (each retry counted). */
    private readonly onThrottled?: () => void,
  ) {}

  /**
   * Claims or renews the lease for `holder`, sent at `now` and bounded by the claim timeout (maxTimeMS
   * on the server, a deadline on the client), throttling retries included. Someone else's live lease
   * makes the upsert collide with the existing `_id`, which is the answer "refused"; an error or the
   * deadline throws.
   */
  async claim(
    holder: string,
    region: string | null,
    now = new Date(),
    standbyGraceMs = 0,
    /**
     * The write region the claimant sees (recorded), whether an expired lease must have been written under
     * it, and when the claim's ttl counts from when not `now` (the latest the database's time may be).
     */
    scope: { primary?: string | null; writtenUnder?: string; expiresFrom?: Date } = {},
  ): Promise<ClaimOutcome> {
    try {
      const lease = await this.bounded(() =>
        this.collection.findOneAndUpdate(
          claimFilter(this.name, holder, now, standbyGraceMs, scope.writtenUnder),
          claimUpdate(holder, region, scope.expiresFrom ?? now, this.terms, scope.primary ?? null),
          { upsert: true, returnDocument: 'after', maxTimeMS: this.terms.claimTimeoutMs },
        ),
      );
      return lease ? { kind: 'claimed', lease } : { kind: 'failed' };
    } catch (error) {
      if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return { kind: 'refused' };
      throw error;
    }
  }

  /** Names `holder` as the write-region streamer waiting for the lease, unless it holds it. */
  async standBy(holder: string, region: string | null, now = new Date()): Promise<void> {
    await this.bounded(() =>
      this.collection.updateOne(
        { _id: this.name, holder: { $ne: holder } },
        candidateUpdate(holder, region, now, this.terms),
        { maxTimeMS: this.terms.claimTimeoutMs },
      ),
    );
  }

  /**
   * Gives the lease up (at shutdown, or to hand it back), so a standby need not wait for the ttl; expired
   * as of now, not long ago, so the standby grace still lets the write region's streamer take it first.
   */
  async release(holder: string, now = new Date()): Promise<void> {
    await this.bounded(() =>
      this.collection.updateOne({ _id: this.name, holder }, releaseUpdate(now), {
        maxTimeMS: this.terms.claimTimeoutMs,
      }),
    );
  }

  async read(): Promise<LeaseDocument | null> {
    return this.collection.findOne({ _id: this.name });
  }

  /**
   * `operation`, retried while the write region throttles it (16500, after its `RetryAfterMs`), all of
   * it within the claim timeout: a retry that could not be answered in time is not sent. A retry repeats
   * the claim as written at its `now` (the holder's validity counts from before the first attempt), so
   * a late answer only shortens what the holder trusts.
   */
  private bounded<T>(operation: () => Promise<T>): Promise<T> {
    const ms = this.terms.claimTimeoutMs;
    const onThrottled = this.onThrottled;
    return withDeadline(withThrottleRetry(operation, { deadlineMs: ms, ...(onThrottled ? { onThrottled } : {}) }), ms);
  }
}

/**
 * `operation`, or a rejection after `ms`: the client-side deadline. maxTimeMS bounds only the work on
 * the server, not a request stuck on the way (the driver's per-operation timeoutMS is a no-op in v7).
 * What the abandoned operation still does is safe: the claim's filter is evaluated with its own time.
 */
export async function withDeadline<T>(operation: Promise<T>, ms: number): Promise<T> {
  const timer = new AbortController();
  operation.catch(() => undefined);
  try {
    return await Promise.race([
      operation,
      delay(ms, undefined, { signal: timer.signal }).then(() => {
        throw new Error(`no answer within ${ms} ms`);
      }),
    ]);
  } finally {
    timer.abort();
  }
}
