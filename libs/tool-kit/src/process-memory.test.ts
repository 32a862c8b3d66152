import { describe, expect, it } from 'vitest';
import { rssBytes } from './process-memory.js';

describe('rssBytes', () => {
  it("reads a running process's resident memory, and null for one that is gone", async () => {
    const own = await rssBytes(process.pid);
    expect(own).toBeGreaterThan(10 * 1024 * 1024);
    expect(own).toBeLessThan(process.memoryUsage().rss * 2);
    expect(await rssBytes(2 ** 22 + 1)).toBeNull();
  });
});
