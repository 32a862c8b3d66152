import { describe, expect, it } from 'vitest';
import { ago, exactUtc, relativeTime } from './index.js';

const now = new Date('2026-11-24T12:00:00Z');
const before = (seconds: number) => new Date(now.getTime() - seconds * 1000);

describe('ago', () => {
  it.each([
    [0, '0 seconds ago', '0s ago'],
    [1, '1 second ago', '1s ago'],
    [59.9, '59 seconds ago', '59s ago'],
    [60, '1 minute ago', '1m ago'],
    [3599, '59 minutes ago', '59m ago'],
    [3600, '1 hour ago', '1h ago'],
    [86_399, '23 hours ago', '23h ago'],
    [86_400, '1 day ago', '1d ago'],
    [400 * 86_400, '400 days ago', '400d ago'],
  ])('%d seconds -> %s, narrow %s', (seconds, long, narrow) => {
    expect(ago(seconds)).toBe(long);
    expect(ago(seconds, 'narrow')).toBe(narrow);
  });

  it('treats a negative age (clock skew) as now', () => {
    expect(ago(-3)).toBe('0 seconds ago');
  });
});

describe('relativeTime', () => {
  it('says how long ago for the last week', () => {
    expect(relativeTime(before(4), now)).toBe('4 seconds ago');
    expect(relativeTime(before(6 * 86_400), now)).toBe('6 days ago');
  });

  it('shows the date, in UTC, for anything older than a week', () => {
    expect(relativeTime(before(7 * 86_400), now)).toBe('17 Nov 2026');
    expect(relativeTime(new Date('2026-10-25T23:59:59Z'), now)).toBe('25 Oct 2026');
  });

  it('treats a time slightly in the future (clock skew) as now', () => {
    expect(relativeTime(new Date(now.getTime() + 3000), now)).toBe('0 seconds ago');
  });
});

describe('exactUtc', () => {
  it('formats to the second in UTC', () => {
    expect(exactUtc(new Date('2026-11-24T01:02:03.456Z'))).toBe('2026-11-24 01:02:03 UTC');
  });
});
