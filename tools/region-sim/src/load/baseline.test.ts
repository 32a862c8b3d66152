import { describe, expect, it } from 'vitest';
import {
  type LoadTestResult,
  loadTable,
  missedThresholds,
  parseBaseline,
  postsLost,
  type RegionRow,
} from './baseline.js';

const baseline = {
  description: 'steady',
  load: { visitors: 10, live: 50, durationSeconds: 20, maxRequests: 100_000 },
  drill: 'none',
  thresholds: { minRps: 20, maxP99Ms: 2000, maxFailed: 0, minLiveHeldRatio: 1, maxPostsLost: 0 },
};

describe('parseBaseline', () => {
  it('reads the load, the drill and the thresholds', () => {
    expect(parseBaseline(JSON.stringify(baseline), 'normal')).toEqual(baseline);
  });

  it('names what is wrong: not JSON, unknown keys, bad numbers, a drill it does not know', () => {
    const bad = (change: Record<string, unknown>) => JSON.stringify({ ...baseline, ...change });
    expect(() => parseBaseline('{', 'x')).toThrow(/^baseline x: not JSON/);
    expect(() => parseBaseline(bad({ thresholds: { maxP99: 1, maxPostsLost: 0 } }), 'x')).toThrow(
      'baseline x: unknown key thresholds.maxP99',
    );
    expect(() => parseBaseline(bad({ thresholds: { minRps: -1, maxPostsLost: 0 } }), 'x')).toThrow(
      'baseline x: thresholds.minRps must be a number >= 0',
    );
    expect(() => parseBaseline(bad({ load: { ...baseline.load, visitors: 1.5 } }), 'x')).toThrow(
      'baseline x: load.visitors must be a whole number >= 0',
    );
    expect(() => parseBaseline(bad({ drill: 'storm' }), 'x')).toThrow('baseline x: drill must be "none" or "chaos"');
    expect(() => parseBaseline(bad({ thresholds: {} }), 'x')).toThrow('thresholds.maxPostsLost is required');
  });
});

const row = (change: Partial<RegionRow> = {}): RegionRow => ({
  entry: 'uk',
  region: 'uksouth',
  requests: 1000,
  rps: 50,
  p50: 5,
  p95: 20,
  p99: 40,
  shed: 0,
  failed: 0,
  statuses: { 200: 1000 },
  live: { wanted: 50, held: 50, maxHeld: 50, rejected: 0, reconnects: 0, events: 100 },
  databaseCommandsPerSecond: 2,
  requestUnitsPerSecond: 12.5,
  throttled: 0,
  frontendRssMb: 120,
  ...change,
});
const result = (rows: RegionRow[], posts = { published: 10, stored: 10, documents: 10 }): LoadTestResult => ({
  elapsedSeconds: 20,
  capped: false,
  rows,
  posts,
  drillEvents: [],
});

describe('missedThresholds', () => {
  it('passes a run within every threshold, and leaves out thresholds the baseline does not set', () => {
    expect(
      missedThresholds(result([row({ p95: 99_999 })]), parseBaseline(JSON.stringify(baseline), 'n').thresholds),
    ).toEqual([]);
  });

  it('names each missed threshold, per region and for the posts', () => {
    const missed = missedThresholds(
      result(
        [
          row(),
          row({ entry: 'us', region: 'westus', rps: 12.345, p99: 2500, failed: 3, live: { ...row().live, held: 49 } }),
        ],
        { published: 10, stored: 9, documents: 10 },
      ),
      baseline.thresholds,
    );
    expect(missed).toEqual([
      'us (westus): minRps 12.35 req/s < 20 req/s',
      'us (westus): maxP99Ms 2500 ms > 2000 ms',
      'us (westus): maxFailed 3 > 0',
      'us (westus): minLiveHeldRatio 0.98 < 1',
      'posts: maxPostsLost 1 > 0',
    ]);
  });
});

describe('postsLost', () => {
  it('counts posts not stored and posts stored twice', () => {
    expect(postsLost({ published: 10, stored: 10, documents: 10 })).toBe(0);
    expect(postsLost({ published: 10, stored: 8, documents: 8 })).toBe(2);
    expect(postsLost({ published: 10, stored: 10, documents: 11 })).toBe(1);
  });
});

describe('loadTable', () => {
  it('is one row per entry with its region, figures right-aligned', () => {
    const table = loadTable(result([row({ shed: 10, failed: 2 })])).split('\n');
    expect(table[0]).toMatch(/^ENTRY\s+REGION\s+REQ\/S\s+P50 MS\s+P95 MS\s+P99 MS\s+OK\s+SHED\s+FAILED\s+LIVE HELD/);
    expect(table[1]).toMatch(/^uk\s+uksouth\s+50\.0\s+5\s+20\s+40\s+988\s+10\s+2\s+50\/50\s+2\.0\s+12\.5\s+0\s+120$/);
  });
});
