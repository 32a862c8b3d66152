import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { formatElapsed, withHeartbeat } from './progress.js';

const run = promisify(execFile);

describe('formatElapsed', () => {
  it('reads as seconds, then minutes and seconds', () => {
    expect(formatElapsed(0)).toBe('0s');
    expect(formatElapsed(59_999)).toBe('59s');
    expect(formatElapsed(60_000)).toBe('1m00s');
    expect(formatElapsed(605_000)).toBe('10m05s');
  });
});

describe('withHeartbeat', () => {
  it('says the step is still running while a silent child works, and stops when it ends', async () => {
    const lines: string[] = [];
    const { stdout } = await withHeartbeat('sleeping', () => run('sh', ['-c', 'sleep 1; echo slept']), {
      log: (line) => lines.push(line),
      intervalMs: 150,
    });
    expect(stdout).toBe('slept\n');
    expect(lines[0]).toBe('sleeping: started');
    expect(lines.at(-1)).toMatch(/^sleeping: done in \ds$/);
    const beats = lines.slice(1, -1);
    expect(beats.length).toBeGreaterThanOrEqual(3);
    for (const beat of beats) expect(beat).toMatch(/^sleeping: still running \(\ds\)$/);

    const count = lines.length;
    await sleep(400);
    expect(lines).toHaveLength(count);
  });

  it('stops on a failed step and passes its error on', async () => {
    const lines: string[] = [];
    await expect(
      withHeartbeat('failing', () => run('sh', ['-c', 'sleep 0.5; exit 3']), {
        log: (line) => lines.push(line),
        intervalMs: 100,
      }),
    ).rejects.toMatchObject({ code: 3 });
    expect(lines.at(-1)).toMatch(/^failing: failed after \ds$/);
    const count = lines.length;
    await sleep(300);
    expect(lines).toHaveLength(count);
  });
});
