import { describe, expect, it } from 'vitest';
import { exactUtc, relativeTime } from './relative-time.js';

const now = new Date('2026-11-24T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);

describe('relativeTime', () => {
  it.each([
    [0, '0 s ago'],
    [4, '4 s ago'],
    [59, '59 s ago'],
    [60, '1 min ago'],
    [3599, '59 min ago'],
    [3600, '1 h ago'],
    [86_399, '23 h ago'],
    [86_400, '1 d ago'],
    [6 * 86_400, '6 d ago'],
  ])('%i seconds -> %s', (seconds, text) => {
    expect(relativeTime(ago(seconds), now)).toBe(text);
  });

  it('shows the date for anything older than a week', () => {
    expect(relativeTime(ago(30 * 86_400), now)).toBe('25 Oct 2026');
  });

  it('treats a time slightly in the future (clock skew) as now', () => {
    expect(relativeTime(new Date(now.getTime() + 3000), now)).toBe('0 s ago');
  });
});

describe('exactUtc', () => {
  it('formats to the second in UTC', () => {
    expect(exactUtc(new Date('2026-11-24T01:02:03.456Z'))).toBe('2026-11-24 01:02:03 UTC');
  });
});
