import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { RegionSet } from '../src/region-set.js';

// A start that fails at a later step (here: every frontend refuses its configuration and exits 2, while the
// streamers and the database tier are starting or started) leaves nothing running and rethrows.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const saved = { TMPDIR: process.env.TMPDIR, MAX_STREAMS: process.env.MAX_STREAMS };

afterAll(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

/** The processes whose command line names one of `marks` (this worktree's apps, the set's directory). */
async function processesNaming(marks: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (marks.some((mark) => cmdline.includes(mark))) found.push(`${pid} ${cmdline.replaceAll('\0', ' ')}`);
  }
  return found;
}

describe('RegionSet.start', () => {
  it('stops everything it started when a later step fails, and rethrows', async () => {
    // The set's directory (mkdtemp under the temporary directory) inside one of this test's own.
    const own = await mkdtemp(join(tmpdir(), 'region-set-start-'));
    // PostgreSQL runs as its own user, which must reach the set's directory inside.
    await chmod(own, 0o755);
    const marks = [own, join(root, 'apps/streamer/dist/server.js'), join(root, 'apps/frontend/dist/server.js')];
    try {
      expect(await processesNaming(marks)).toEqual([]);
      process.env.TMPDIR = own;
      // Inherited by every app; only the frontend reads it, and refuses it.
      process.env.MAX_STREAMS = 'not a number';
      await expect(RegionSet.start({ postsPerSecond: 0 })).rejects.toThrow(/frontend/);
      // Whatever was started is stopped before start rejects; a moment for the kernel to reap them.
      await delay(500);
      expect(await processesNaming(marks)).toEqual([]);
      expect(await readdir(own)).toEqual([]);
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });
});
