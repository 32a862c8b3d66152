import { describe, expect, it } from 'vitest';
import { afterClaim, claimFilter, claimUpdate, leaseTerms, mayStream, validUntil } from './lease.js';

describe('the ingest lease rules', () => {
  const terms = leaseTerms(15_000);

  it('renews three times per ttl and trusts a claim a safety margin short of its stored expiry', () => {
    expect(terms).toEqual({ ttlMs: 15_000, renewEveryMs: 5_000, safetyMs: 3_000 });
    const update = claimUpdate('a', 'westus', new Date(1_000), terms);
    expect(update.$set.expiresAt.getTime()).toBe(16_000);
    expect(validUntil(1_000, terms)).toBe(13_000);
    expect(validUntil(1_000, terms)).toBeLessThan(update.$set.expiresAt.getTime());
  });

  it('lets the holder stream only before its validity ends (a paused holder waking later must stop)', () => {
    expect(mayStream(13_000, 12_999)).toBe(true);
    expect(mayStream(13_000, 13_000)).toBe(false);
    expect(mayStream(13_000, 60_000)).toBe(false);
    expect(mayStream(null, 0)).toBe(false);
  });

  it('claims only a lease the claimant holds or that has expired', () => {
    const now = new Date(5_000);
    expect(claimFilter('ingest', 'a', now)).toEqual({
      _id: 'ingest',
      $or: [{ holder: 'a' }, { expiresAt: { $lte: now } }],
    });
  });

  it('starts on a first claim, keeps on renewal, stops on a lost one, waits otherwise', () => {
    expect(afterClaim(true, false)).toBe('start');
    expect(afterClaim(true, true)).toBe('keep');
    expect(afterClaim(false, true)).toBe('stop');
    expect(afterClaim(false, false)).toBe('wait');
  });
});
