import { MongoServerError, type Collection } from 'mongodb';
import type { LeaseDocument } from '@kubeonazure/tweet-model';
import { claimFilter, claimUpdate, type LeaseTerms } from './lease.js';

const DUPLICATE_KEY = 11000;

/** The lease document in the database, claimed by conditional update (upsert for the first claim). */
export class LeaseStore {
  constructor(
    private readonly collection: Collection<LeaseDocument>,
    private readonly name: string,
    private readonly terms: LeaseTerms,
  ) {}

  /**
   * Claims or renews the lease for `holder`; true when it now holds it. Someone else's live lease
   * makes the upsert collide with the existing `_id`, which is the answer "no".
   */
  async claim(holder: string, region: string | null, now = new Date(), standbyGraceMs = 0): Promise<boolean> {
    try {
      await this.collection.updateOne(
        claimFilter(this.name, holder, now, standbyGraceMs),
        claimUpdate(holder, region, now, this.terms),
        {
          upsert: true,
        },
      );
      return true;
    } catch (error) {
      if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return false;
      throw error;
    }
  }

  /** Gives the lease up at shutdown, so a standby need not wait for it to expire. */
  async release(holder: string): Promise<void> {
    await this.collection.updateOne({ _id: this.name, holder }, { $set: { expiresAt: new Date(0) } });
  }

  async read(): Promise<LeaseDocument | null> {
    return this.collection.findOne({ _id: this.name });
  }
}
