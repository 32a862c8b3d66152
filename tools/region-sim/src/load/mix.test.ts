import { describe, expect, it } from 'vitest';
import { ACTIONS, CursorPool, DEFAULT_MIX, isLoopback, pathFor, pickAction, seededRandom, validateMix } from './mix.js';

describe('pickAction', () => {
  it('picks each action in proportion to its weight', () => {
    const random = seededRandom(7);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 10_000; i += 1) {
      const action = pickAction(DEFAULT_MIX, random());
      counts[action] = (counts[action] ?? 0) + 1;
    }
    for (const action of ACTIONS) expect(counts[action]! / 10_000).toBeCloseTo(DEFAULT_MIX[action] / 100, 1);
  });

  it('never picks an action of weight 0, at either end of [0, 1)', () => {
    const mix = { page: 0, olderPage: 1, firstApi: 1, olderApi: 0 };
    expect(pickAction(mix, 0)).toBe('olderPage');
    expect(pickAction(mix, 0.4999)).toBe('olderPage');
    expect(pickAction(mix, 0.5)).toBe('firstApi');
    expect(pickAction(mix, 0.999999999)).toBe('firstApi');
  });
});

describe('validateMix', () => {
  it('takes weights >= 0 with one above 0', () => {
    expect(validateMix(DEFAULT_MIX)).toBe(DEFAULT_MIX);
    expect(() => validateMix({ page: 0, olderPage: 0, firstApi: 0, olderApi: 0 })).toThrow(/every weight is 0/);
    expect(() => validateMix({ ...DEFAULT_MIX, olderApi: -1 })).toThrow(/olderApi needs a weight >= 0/);
    expect(() => validateMix({ ...DEFAULT_MIX, page: Number.NaN })).toThrow(/page/);
  });
});

describe('pathFor', () => {
  it('maps actions to the routes, cursors encoded', () => {
    expect(pathFor('page', null)).toEqual({ action: 'page', path: '/' });
    expect(pathFor('firstApi', 'c')).toEqual({ action: 'firstApi', path: '/api/tweets' });
    expect(pathFor('olderPage', 'a+b/c')).toEqual({ action: 'olderPage', path: '/?before=a%2Bb%2Fc' });
    expect(pathFor('olderApi', 'x')).toEqual({ action: 'olderApi', path: '/api/tweets?before=x' });
  });

  it("asks the API's first page for an older page while it has no cursor", () => {
    expect(pathFor('olderPage', null)).toEqual({ action: 'firstApi', path: '/api/tweets' });
    expect(pathFor('olderApi', null)).toEqual({ action: 'firstApi', path: '/api/tweets' });
  });
});

describe('seededRandom', () => {
  it('repeats a sequence from its seed, in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const first = Array.from({ length: 100 }, a);
    expect(Array.from({ length: 100 }, b)).toEqual(first);
    expect(first.every((value) => value >= 0 && value < 1)).toBe(true);
    expect(Array.from({ length: 100 }, seededRandom(43))).not.toEqual(first);
  });
});

describe('CursorPool', () => {
  it('keeps the newest distinct cursors up to its capacity', () => {
    const pool = new CursorPool(2);
    expect(pool.pick(0.5)).toBeNull();
    for (const cursor of ['a', 'a', null, undefined, '', 'b', 'c']) pool.add(cursor);
    expect(pool.size).toBe(2);
    expect([pool.pick(0), pool.pick(0.99)]).toEqual(['b', 'c']);
  });
});

describe('isLoopback', () => {
  it('takes 127.0.0.0/8, localhost and ::1 only', () => {
    for (const url of ['http://127.0.0.1:80', 'http://127.3.4.5', 'http://localhost:3000', 'http://[::1]:8080'])
      expect(isLoopback(url), url).toBe(true);
    for (const url of ['http://10.0.0.1', 'https://example.com', 'http://128.0.0.1', 'http://127.0.0.1.example.com'])
      expect(isLoopback(url), url).toBe(false);
  });
});
