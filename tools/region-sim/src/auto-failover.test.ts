import { describe, expect, it } from 'vitest';
import { nextInPriority, unreachableSince } from './auto-failover.js';

const PRIORITY = ['westus', 'uksouth', 'southeastasia'];

describe('nextInPriority', () => {
  it('promotes the next region in failover priority that can take writes, wrapping around', () => {
    const all = () => true;
    expect(nextInPriority(PRIORITY, 'westus', all)).toBe('uksouth');
    expect(nextInPriority(PRIORITY, 'uksouth', all)).toBe('southeastasia');
    expect(nextInPriority(PRIORITY, 'southeastasia', all)).toBe('westus');
    expect(nextInPriority(PRIORITY, 'westus', (region) => region !== 'uksouth')).toBe('southeastasia');
  });

  it('never promotes the lost region itself, and gives null when no other can take writes', () => {
    expect(nextInPriority(PRIORITY, 'westus', (region) => region === 'westus')).toBeNull();
  });
});

describe('unreachableSince', () => {
  it('starts the clock on the first failed check, keeps it while checks fail, stops it on a good one', () => {
    const first = unreachableSince(null, 'westus', false, 1_000);
    expect(first).toEqual({ region: 'westus', since: 1_000 });
    expect(unreachableSince(first, 'westus', false, 5_000)).toEqual({ region: 'westus', since: 1_000 });
    expect(unreachableSince(first, 'westus', true, 6_000)).toBeNull();
  });

  it('starts afresh for a new write region', () => {
    expect(unreachableSince({ region: 'westus', since: 1_000 }, 'uksouth', false, 9_000)).toEqual({
      region: 'uksouth',
      since: 9_000,
    });
  });
});
