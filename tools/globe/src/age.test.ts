import { describe, expect, it } from 'vitest';
import { formatAge } from './age.js';

describe('formatAge', () => {
  it.each([
    [0, '0s'],
    [42.9, '42s'],
    [119, '119s'],
    [120, '2m'],
    [7199, '119m'],
    [7200, '2h'],
    [48 * 3600, '2d'],
    [-5, '0s'],
  ])('%d seconds -> %s', (seconds, text) => {
    expect(formatAge(seconds)).toBe(text);
  });
});
