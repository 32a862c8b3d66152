import type { LeaseDocument } from '@kubeonazure/tweet-model';

/**
 * The ingest lease: every region runs a streamer, and only the holder of one lease document streams
 * (the X API allows one stream connection per app). Pure rules here; lease-store.ts does the I/O.
 *
 * Safe by construction: a claim is a conditional update that only matches while the document names
 * the claimant or has expired (`expiresAt`, written as claim time + ttl). The holder trusts its claim
 * only until `validUntil`, counted on its own clock from *before* it sent the claim and ending a
 * safety margin earlier than the stored expiry. So by the time anyone else can match the document,
 * the previous holder has stopped trusting it, whatever happened to it meanwhile (a pause, a
 * partition): a holder that wakes past `validUntil` stops streaming before it claims again.
 * Clocks of different hosts must agree within the margin.
 */
export interface LeaseTerms {
  /** How long a claim lasts in the database. */
  ttlMs: number;
  /** How often the holder renews, and a standby retries. */
  renewEveryMs: number;
  /** How much earlier than the stored expiry the holder stops trusting its claim. */
  safetyMs: number;
}

export function leaseTerms(ttlMs: number): LeaseTerms {
  return { ttlMs, renewEveryMs: Math.max(1, Math.floor(ttlMs / 3)), safetyMs: Math.floor(ttlMs / 5) };
}

/** Until when (own clock) a claim sent at `requestedAt` may be acted on. */
export function validUntil(requestedAt: number, terms: LeaseTerms): number {
  return requestedAt + terms.ttlMs - terms.safetyMs;
}

/** Whether the holder may (still) stream at `now`. */
export function mayStream(claimValidUntil: number | null, now: number): boolean {
  return claimValidUntil !== null && now < claimValidUntil;
}

/**
 * Matches the lease only while `holder` has it or it has expired (at least `standbyGraceMs` ago): the
 * condition of every claim. Streamers outside the write region claim with a grace of one ttl, so when
 * the holder is lost the write region's streamer (the one next to the primary) takes over first.
 */
export function claimFilter(name: string, holder: string, now: Date, standbyGraceMs = 0): Record<string, unknown> {
  return { _id: name, $or: [{ holder }, { expiresAt: { $lte: new Date(now.getTime() - standbyGraceMs) } }] };
}

export function claimUpdate(
  holder: string,
  region: string | null,
  now: Date,
  terms: LeaseTerms,
): { $set: Omit<LeaseDocument, '_id'> } {
  return { $set: { holder, region, expiresAt: new Date(now.getTime() + terms.ttlMs), renewedAt: now } };
}

/** What the keeper does after a claim attempt, given whether it streams now. */
export function afterClaim(claimed: boolean, streaming: boolean): 'start' | 'keep' | 'stop' | 'wait' {
  if (claimed) return streaming ? 'keep' : 'start';
  return streaming ? 'stop' : 'wait';
}
