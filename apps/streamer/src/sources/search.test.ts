import { describe, expect, it } from 'vitest';
import { searchQuery } from './search.js';

describe('searchQuery', () => {
  it('matches any of the tracked terms, grouping multi-word ones', () => {
    expect(searchQuery(['docker'])).toBe('docker');
    expect(searchQuery(['docker', 'docker compose', 'moby'])).toBe('docker OR (docker compose) OR moby');
  });
});
