import { describe, expect, it } from 'vitest';
import { DatabaseClock } from './database-clock.js';

describe('DatabaseClock', () => {
  it("bounds the database's time by a hello's round trip, carried on by the monotonic clock, whatever this host's clock says", async () => {
    let now = 1_000;
    const localTime = new Date('2026-01-01T00:00:00Z');
    const clock = new DatabaseClock(
      async () => {
        now += 40;
        return localTime;
      },
      () => now,
    );
    expect(clock.at()).toBeNull();
    await clock.refresh();
    now += 500;
    expect(clock.at()).toEqual({ earliest: localTime.getTime() + 500, latest: localTime.getTime() + 540 });
  });

  it('keeps a tighter sample over a looser one, and the last one when the database does not answer', async () => {
    let now = 0;
    let trip = 10;
    let answer: Date | null = new Date(0);
    const clock = new DatabaseClock(
      async () => {
        now += trip;
        return answer;
      },
      () => now,
      100,
    );
    await clock.refresh();
    const tight = clock.at(now);
    now += 100;
    trip = 1_000;
    await clock.refresh();
    expect(clock.at(10)).toEqual(tight);
    now += 100;
    answer = null;
    await clock.refresh();
    expect(clock.at(10)).toEqual(tight);
  });
});
