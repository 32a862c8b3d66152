import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { REGIONS } from '@kubeonazure/regions';
import { expect, it } from 'vitest';

// The load test's smoke form, as CI runs it: `npm run regions -- load --baseline smoke`, a region set of
// its own under a short, small load. Behaviour only (the figures' thresholds are in the normal and chaos
// baselines, run by hand on a quiet machine): nothing fails beyond deliberate shedding, every live client
// is held, 0 posts lost, exit 0.
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

it('npm run regions -- load --baseline smoke passes: no failures, live clients held, 0 posts lost, exit 0', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [cli, 'load', '--baseline', 'smoke'], {
    timeout: 240_000,
  });
  const lines = stdout.trim().split('\n');
  for (const region of REGIONS) {
    const row = lines.find((line) => line.startsWith(`${region.visitorLocation} `));
    expect(row, `${region.visitorLocation}'s row`).toBeDefined();
    // ENTRY REGION REQ/S P50 P95 P99 OK SHED FAILED LIVE ...
    const cells = row!.split(/\s+/);
    expect(cells[1]).toBe(region.name);
    expect(Number(cells[6])).toBeGreaterThan(0);
    expect(cells[8]).toBe('0');
    expect(cells[9]).toBe('2/2');
  }
  expect(stdout).toMatch(/posts: (\d+) published, \1 stored, 0 lost or twice/);
  expect(lines.at(-1)).toBe('PASS');
}, 300_000);
