import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { pollUntil } from '@kubeonazure/tool-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { RegionSet } from '../src/region-set.js';

// A start that fails at a later step (here: every frontend refuses its configuration and exits 2, while the
// streamers and the database tier are starting or started) leaves nothing running and rethrows.
const root = fileURLToPath(new URL('../../../', import.meta.url));
// Taken before a test points TMPDIR into a directory of its own.
const base = tmpdir();
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
    const own = await mkdtemp(join(base, 'region-set-start-'));
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

  it('keeps the failure as its error when the clean-up after it fails too', async () => {
    const own = await mkdtemp(join(base, 'region-set-start-'));
    await chmod(own, 0o755);
    try {
      process.env.TMPDIR = own;
      process.env.MAX_STREAMS = 'not a number';
      const starting = RegionSet.start({ postsPerSecond: 0 });
      starting.catch(() => undefined);
      // Once the set's directory exists, nothing may leave `own` (immutable even to root): the
      // clean-up stops every process, then fails to remove the set's directory.
      await pollUntil(async () => (await readdir(own)).length > 0, { what: "the set's directory", timeoutMs: 30_000 });
      execFileSync('chattr', ['+i', own]);
      const error = await starting.then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(error).toBeInstanceOf(AggregateError);
      expect((error as AggregateError).message).toMatch(/frontend.*; the clean-up after it failed too: .*EPERM/s);
      expect((error as AggregateError).errors.map((each: Error) => each.message)).toEqual([
        expect.stringMatching(/frontend/),
        expect.stringMatching(/EPERM/),
      ]);
    } finally {
      execFileSync('chattr', ['-i', own]);
      await rm(own, { recursive: true, force: true });
    }
  });
});
