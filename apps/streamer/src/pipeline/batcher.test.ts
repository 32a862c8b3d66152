import { describe, expect, it } from 'vitest';
import { retryDelayMs } from './batcher.js';

describe('retryDelayMs', () => {
  it('doubles from 500 ms up to the ceiling', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((attempt) => retryDelayMs(attempt, 10_000))).toEqual([
      500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000,
    ]);
  });

  it('stays at the ceiling however long the outage lasts', () => {
    expect(retryDelayMs(10_000, 30_000)).toBe(30_000);
  });
});
