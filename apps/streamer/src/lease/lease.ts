import type { LeaseCandidate, LeaseDocument } from '@kubeonazure/tweet-model';

/**
 * The ingest lease: every region runs a streamer, and only the holder of one lease document streams
 * (the X API allows one stream connection per app). Pure rules here; lease-store.ts does the I/O,
 * leased-source.ts acts on them.
 *
 * The argument.
 * - Invariant: at no instant do two streamers stream.
 * - Every time in the document is the database's (database-clock.ts): a streamer reads it with `hello`
 *   and carries it forward on its monotonic clock, bounded by the round trip; no two hosts' clocks are
 *   compared. A claim is a conditional update that matches only while the document names the claimant
 *   or has expired: `expiresAt`, written as the latest the database's time may be at the request
 *   (`sentAt`) + ttl, is at most the earliest it may be at the claimant's request (at least
 *   `standbyGraceMs` earlier outside the write region). A claim that does not match collides with the
 *   document's `_id` (11000): refused.
 * - The holder acts on a claim only until `validUntil = sentAt + ttl - safety`, counted on its own clock
 *   from *before* it sent the claim, monotonic: a timer stops its source exactly then,
 *   unless a later claim was answered in time, and the source asks the validity before it reads (a hung
 *   or starved process may run its I/O before its timers). An answer that arrives after its own `validUntil` (a pause, a slow network) is a
 *   failure, a refused claim stops the source at once, and every claim is bounded by `claimTimeoutMs`
 *   (maxTimeMS on the server and a client-side deadline), so nothing waits on a
 *   hung claim. A throttled claim (16500) is retried after its `RetryAfterMs` only within that bound,
 *   and repeats the claim as written at `sentAt`: a retry changes neither the stored expiry nor the
 *   holder's validity, so a throttled write region cannot stretch the lease. The holder closes its X connection before it releases the lease.
 * - So another claimant matches the document only once the database's time passed `sentAt + ttl`, a
 *   ttl after the holder's request in real time: by then the holder stopped at `sentAt + ttl - safety`.
 *   Timing inequality: the lag of the stop timer (and of the read guard: none, it is asked per message)
 *   + the clock rates' drift over a ttl < `safety` (a fifth of the ttl: 3 s at the default 15 s), with no
 *   term for clock skew. The database's clock is the primary's; after a failover a streamer may carry an
 *   old primary's for up to a minute (the next sample), within the failover's own ttl wait below only
 *   as far as the two regions' clocks agree (Azure keeps them within milliseconds).
 * - No fencing token: a stale holder's only shared writes are posts, inserted by id and never updated
 *   (a second writer stores nothing twice and overwrites nothing), and its renewals and releases, which
 *   match only while the document names it. What the lease protects, X's one stream connection, is X's
 *   to enforce (429 TooManyConnections) and could not check a token.
 * - Liveness: a healthy holder renews every `renewEveryMs`, each claim bounded by `claimTimeoutMs`;
 *   2 × (renewEveryMs + claimTimeoutMs) <= ttl - safety, so one lost renewal does not end the lease.
 * - Failover: replication is asynchronous (Cosmos DB's RPO is above 0), so the promoted primary may
 *   hold an older document, on which the holder's claim has already expired. Every claim records the
 *   write region it was written under (`primary`, the driver's view; a write succeeds only on the
 *   primary). A streamer that does not hold the lease takes over an expired document written under
 *   the current write region at once, and any other only once it has seen the current write region for
 *   one ttl (`takeoverScope`): a claim acknowledged by the old primary was sent before the promotion,
 *   so its validity ends within a ttl of it. The holder itself may renew: a document that no longer
 *   names it refuses it, and it stops. Not covered: a failback to the old write region within one ttl
 *   that also lost writes (Cosmos DB fails back by an operator's hand, minutes later).
 * - Return to the write region: a release keeps the standby grace (`expiresAt` = now, not the epoch),
 *   and a write-region streamer that is refused names itself `candidate`; a holder outside the write
 *   region hands the lease over when it sees a candidate (`handsBack`).
 *
 * "The write region" is the current primary as the driver sees it (write-region.ts), not `role` in
 * regions.json, which is only the initial placement and the failover priority.
 */
export interface LeaseTerms {
  /** How long a claim lasts in the database. */
  ttlMs: number;
  /** How often the holder renews, and a standby retries. */
  renewEveryMs: number;
  /** The bound on one claim (server and client side). */
  claimTimeoutMs: number;
  /** How much earlier than the stored expiry the holder stops trusting its claim. */
  safetyMs: number;
}

export function leaseTerms(ttlMs: number): LeaseTerms {
  const fifth = Math.max(1, Math.floor(ttlMs / 5));
  return { ttlMs, renewEveryMs: fifth, claimTimeoutMs: fifth, safetyMs: fifth };
}

/** Until when (monotonic) a claim sent at `sentAt` (monotonic) may be acted on. */
export function validUntil(sentAt: number, terms: LeaseTerms): number {
  return sentAt + terms.ttlMs - terms.safetyMs;
}

/** Whether the holder may (still) stream at `now`. */
export function mayStream(claimValidUntil: number | null, now: number): boolean {
  return claimValidUntil !== null && now < claimValidUntil;
}

/**
 * Matches the lease only while `holder` has it or it has expired (at least `standbyGraceMs` ago) and,
 * with `writtenUnder`, was written under that write region: the condition of every claim. Streamers
 * outside the write region claim with a grace of one ttl, so when the holder is lost the write region's
 * streamer (the one next to the primary) takes over first.
 */
export function claimFilter(
  name: string,
  holder: string,
  now: Date,
  standbyGraceMs = 0,
  writtenUnder?: string,
): Record<string, unknown> {
  const expired = { expiresAt: { $lte: new Date(now.getTime() - standbyGraceMs) } };
  return { _id: name, $or: [{ holder }, writtenUnder === undefined ? expired : { ...expired, primary: writtenUnder }] };
}

export function claimUpdate(
  holder: string,
  region: string | null,
  now: Date,
  terms: LeaseTerms,
  primary: string | null = null,
): { $set: Omit<LeaseDocument, '_id' | 'candidate'> } {
  return { $set: { holder, region, expiresAt: new Date(now.getTime() + terms.ttlMs), renewedAt: now, primary } };
}

/** A release: expired now, so the write region may claim at once and the others only a grace later. */
export function releaseUpdate(now: Date): { $set: Pick<LeaseDocument, 'expiresAt'> } {
  return { $set: { expiresAt: now } };
}

/** A waiting write-region streamer names itself on the lease it does not hold, fresh for one ttl. */
export function candidateUpdate(
  holder: string,
  region: string | null,
  now: Date,
  terms: LeaseTerms,
): { $set: { candidate: LeaseCandidate } } {
  return { $set: { candidate: { holder, region, until: new Date(now.getTime() + terms.ttlMs) } } };
}

/**
 * Which expired leases a streamer that does not hold the lease may take over: any, once it has seen the
 * current write region for a ttl (`primarySince`: -Infinity on a single server, which has no failover);
 * before that only one written under the current write region; none while no primary is known.
 */
export function takeoverScope(
  now: number,
  view: { primaryRegion: string | null; primarySince: number },
  terms: LeaseTerms,
): { writtenUnder?: string } | null {
  if (now - view.primarySince >= terms.ttlMs) return {};
  return view.primaryRegion === null ? null : { writtenUnder: view.primaryRegion };
}

/** Whether the holder, outside the write region, hands the lease to a write-region streamer waiting for it. */
export function handsBack(lease: LeaseDocument, self: string, inWriteRegion: boolean, now: number): boolean {
  const candidate = lease.candidate;
  return !inWriteRegion && candidate !== undefined && candidate.holder !== self && candidate.until.getTime() > now;
}

/** The answer to one claim: the lease as it now is, refused (someone else holds it), or failed (error, timeout). */
export type ClaimOutcome = { kind: 'claimed'; lease: LeaseDocument } | { kind: 'refused' } | { kind: 'failed' };

export type LeaseAction = 'start' | 'renewed' | 'keep' | 'stop' | 'hand-back' | 'wait';

/**
 * What the keeper does after a claim sent at `sentAt` and answered at `now`: a claim answered after its
 * own validity counts as failed; a failed claim keeps a holder streaming only until its last claim's
 * validity (the stop timer), a refused one stops it at once.
 */
export function afterClaim(
  outcome: ClaimOutcome,
  holding: boolean,
  claimValidUntil: number,
  now: number,
  handBack: boolean,
): LeaseAction {
  if (outcome.kind === 'claimed' && mayStream(claimValidUntil, now)) {
    if (handBack) return 'hand-back';
    return holding ? 'renewed' : 'start';
  }
  if (outcome.kind === 'refused') return holding ? 'stop' : 'wait';
  return holding ? 'keep' : 'wait';
}
