import { describe, expect, it } from 'vitest';
import { classify, percentile, summarize, Tally } from './summary.js';

describe('classify', () => {
  it('tells deliberate shedding (429, 503 with Retry-After) from failures', () => {
    expect(classify(200, false)).toBe('ok');
    expect(classify(304, false)).toBe('ok');
    expect(classify(429, false)).toBe('shed');
    expect(classify(503, true)).toBe('shed');
    // HAProxy's 503 (no server) has no Retry-After.
    expect(classify(503, false)).toBe('failed');
    expect(classify(500, true)).toBe('failed');
    expect(classify(404, false)).toBe('failed');
    expect(classify(null, false)).toBe('failed');
  });
});

describe('percentile', () => {
  it('is the nearest rank, whatever the order', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('summarize', () => {
  it('counts answers by status and by action, distinct older pages, req/s over the run, shed apart from failed', () => {
    const tally = new Tally();
    for (let i = 1; i <= 96; i += 1) tally.record('page', '/', 200, false, i);
    tally.record('olderPage', '/?before=a', 429, true, 97);
    tally.record('firstApi', '/api/tweets', 503, true, 98);
    tally.record('firstApi', '/api/tweets', 503, false, 99);
    tally.record('olderApi', '/api/tweets?before=a', null, false, 100);
    expect(summarize(tally, 2_000)).toEqual({
      requests: 100,
      rps: 50,
      p50: 50,
      p95: 95,
      p99: 99,
      max: 100,
      statuses: { 200: 96, 429: 1, 503: 2, error: 1 },
      actions: { page: { 200: 96 }, olderPage: { 429: 1 }, firstApi: { 503: 2 }, olderApi: { error: 1 } },
      olderPages: 2,
      shed: 2,
      failed: 2,
    });
  });

  it('of nothing: no requests, no rate, no latencies', () => {
    expect(summarize(new Tally(), 1_000)).toMatchObject({ requests: 0, rps: 0, p50: Number.NaN, max: Number.NaN });
  });
});
