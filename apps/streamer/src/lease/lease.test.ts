import type { LeaseDocument } from '@kubeonazure/tweet-model';
import { describe, expect, it } from 'vitest';
import {
  afterClaim,
  candidateUpdate,
  claimFilter,
  claimUpdate,
  handsBack,
  leaseTerms,
  mayStream,
  releaseUpdate,
  takeoverScope,
  validUntil,
} from './lease.js';

describe('the ingest lease rules', () => {
  const terms = leaseTerms(15_000);

  it('renews five times per ttl, bounds each claim, and trusts a claim a safety margin short of its stored expiry', () => {
    expect(terms).toEqual({ ttlMs: 15_000, renewEveryMs: 3_000, claimTimeoutMs: 3_000, safetyMs: 3_000 });
    const update = claimUpdate('a', 'westus', new Date(1_000), terms);
    expect(update.$set.expiresAt.getTime()).toBe(16_000);
    expect(validUntil(1_000, terms)).toBe(13_000);
    expect(validUntil(1_000, terms)).toBeLessThan(update.$set.expiresAt.getTime());
  });

  it('lets one renewal fail without ending a healthy lease: 2 × (renew + claim timeout) <= ttl − safety', () => {
    for (const ttl of [300, 1_000, 15_000, 600_000]) {
      const t = leaseTerms(ttl);
      expect(2 * (t.renewEveryMs + t.claimTimeoutMs)).toBeLessThanOrEqual(t.ttlMs - t.safetyMs);
    }
  });

  it('lets the holder stream only before its validity ends (a paused holder waking later must stop)', () => {
    expect(mayStream(13_000, 12_999)).toBe(true);
    expect(mayStream(13_000, 13_000)).toBe(false);
    expect(mayStream(13_000, 60_000)).toBe(false);
    expect(mayStream(null, 0)).toBe(false);
  });

  it('claims only a lease the claimant holds or that has expired (a grace ago for a standby)', () => {
    const now = new Date(20_000);
    expect(claimFilter('ingest', 'a', now)).toEqual({
      _id: 'ingest',
      $or: [{ holder: 'a' }, { expiresAt: { $lte: now } }],
    });
    expect(claimFilter('ingest', 'a', now, 15_000)).toMatchObject({
      $or: [{ holder: 'a' }, { expiresAt: { $lte: new Date(5_000) } }],
    });
    expect(claimFilter('ingest', 'a', now, 0, 'UK South')).toMatchObject({
      $or: [{ holder: 'a' }, { expiresAt: { $lte: now }, primary: 'UK South' }],
    });
    expect(claimUpdate('a', 'uksouth', now, terms, 'UK South').$set.primary).toBe('UK South');
  });

  it('releases as of now, so the standby grace still counts from the release', () => {
    expect(releaseUpdate(new Date(7_000))).toEqual({ $set: { expiresAt: new Date(7_000) } });
  });

  it('takes over a lease from an earlier write region only after seeing the current one for a ttl', () => {
    const since = (primarySince: number, primaryRegion: string | null = 'UK South') => ({
      primaryRegion,
      primarySince,
    });
    expect(takeoverScope(10_000, since(Number.NEGATIVE_INFINITY, null), terms)).toEqual({});
    expect(takeoverScope(15_000, since(0), terms)).toEqual({});
    // A promoted copy may lack renewals: until a ttl has passed, only a lease written under this primary.
    expect(takeoverScope(10_000, since(0), terms)).toEqual({ writtenUnder: 'UK South' });
    // No primary known yet: nothing.
    expect(takeoverScope(1_000, since(Number.POSITIVE_INFINITY, null), terms)).toBeNull();
  });

  it('hands the lease back outside the write region to a fresh candidate other than itself', () => {
    const lease = (candidate?: LeaseDocument['candidate']): LeaseDocument => ({
      _id: 'ingest',
      holder: 'uk',
      region: 'uksouth',
      expiresAt: new Date(20_000),
      renewedAt: new Date(5_000),
      ...(candidate ? { candidate } : {}),
    });
    const waiting = candidateUpdate('west', 'westus', new Date(5_000), terms).$set.candidate;
    expect(waiting.until).toEqual(new Date(20_000));
    expect(handsBack(lease(waiting), 'uk', false, 6_000)).toBe(true);
    expect(handsBack(lease(waiting), 'uk', true, 6_000)).toBe(false);
    expect(handsBack(lease(waiting), 'uk', false, 20_000)).toBe(false);
    expect(handsBack(lease(waiting), 'west', false, 6_000)).toBe(false);
    expect(handsBack(lease(), 'uk', false, 6_000)).toBe(false);
  });

  describe('afterClaim', () => {
    const claimed = {
      kind: 'claimed',
      lease: { _id: 'ingest', holder: 'a', region: null, expiresAt: new Date(0), renewedAt: new Date(0) },
    } as const;
    it('starts on a claim answered in time, renews while streaming', () => {
      expect(afterClaim(claimed, false, 13_000, 1_000, false)).toBe('start');
      expect(afterClaim(claimed, true, 13_000, 1_000, false)).toBe('renewed');
    });
    it('treats a claim answered after its own validity as failed', () => {
      expect(afterClaim(claimed, false, 13_000, 13_000, false)).toBe('wait');
      expect(afterClaim(claimed, true, 13_000, 14_000, false)).toBe('keep');
    });
    it('stops at once on a refusal; a failure keeps the holder only until its validity (the timer)', () => {
      expect(afterClaim({ kind: 'refused' }, true, 13_000, 1_000, false)).toBe('stop');
      expect(afterClaim({ kind: 'refused' }, false, 13_000, 1_000, false)).toBe('wait');
      expect(afterClaim({ kind: 'failed' }, true, 13_000, 1_000, false)).toBe('keep');
      expect(afterClaim({ kind: 'failed' }, false, 13_000, 1_000, false)).toBe('wait');
    });
    it('hands back a claim a write-region streamer waits for', () => {
      expect(afterClaim(claimed, true, 13_000, 1_000, true)).toBe('hand-back');
      expect(afterClaim(claimed, false, 13_000, 1_000, true)).toBe('hand-back');
    });
  });
});
