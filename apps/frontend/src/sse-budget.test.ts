import { describe, expect, it } from 'vitest';
import { memoryLimitBytes, overBudget } from './sse-budget.js';

describe('memoryLimitBytes', () => {
  it('reads the bytes of a limit, and no limit from max or a missing file', () => {
    expect(memoryLimitBytes('268435456\n')).toBe(268_435_456);
    expect(memoryLimitBytes('max\n')).toBeNull();
    expect(memoryLimitBytes(null)).toBeNull();
  });

  it('gives undefined for anything else', () => {
    expect(memoryLimitBytes('')).toBeUndefined();
    expect(memoryLimitBytes('256Mi')).toBeUndefined();
    expect(memoryLimitBytes('-1')).toBeUndefined();
  });
});

describe('overBudget', () => {
  const stream = (name: string, backlog: number) => ({ name, backlog });

  it('drops nothing within the budget', () => {
    expect(overBudget([stream('a', 10), stream('b', 20)], 30)).toEqual([]);
  });

  it('drops the largest backlogs first, as few as will do', () => {
    const streams = [stream('a', 10), stream('b', 50), stream('c', 0), stream('d', 30)];
    expect(overBudget(streams, 45).map((s) => s.name)).toEqual(['b']);
    expect(overBudget(streams, 5).map((s) => s.name)).toEqual(['b', 'd', 'a']);
  });
});
