import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { supervise, type Exit } from './supervisor.js';

/** A Node.js child running `script`. */
function node(name: string, script: string, extra: Partial<Parameters<typeof supervise>[0]> = {}) {
  return supervise({ name, command: process.execPath, args: ['-e', script], ...extra });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tool-kit-supervisor-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('supervise', () => {
  it('hands over each line with its stream, with the env and cwd it was given', async () => {
    const lines: string[] = [];
    const child = node(
      'echo',
      'console.log(process.env.GREETING); console.log(process.cwd()); console.error("on stderr")',
      {
        env: { PATH: process.env.PATH ?? '', GREETING: 'hello' },
        cwd: dir,
        onLine: (line, stream) => lines.push(`${stream}: ${line}`),
      },
    );
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(lines.toSorted()).toEqual([`stderr: on stderr`, `stdout: ${dir}`, 'stdout: hello'].toSorted());
    expect(child.output).toContain('on stderr');
  });

  it('writes both streams to its log file and quotes the file in its output', async () => {
    const logFile = join(dir, 'child.log');
    const child = node('logger', 'console.log("one"); console.error("two")', { logFile });
    await child.exited;
    expect((await readFile(logFile, 'utf8')).split('\n').toSorted()).toEqual(['', 'one', 'two']);
    expect(child.output).toMatch(/one|two/);
  });

  it('waits for a probe to hold, and fails at once with its output when the process exits first', async () => {
    const server = node('ticker', 'let n = 0; setInterval(() => console.log("tick " + ++n), 10)');
    try {
      const tick = await server.waitUntil('third tick', () => /tick 3/.exec(server.output)?.[0], 10_000);
      expect(tick).toBe('tick 3');
    } finally {
      await server.stop();
    }

    const crasher = node('crasher', 'console.error("bad config: PORT"); process.exit(2)');
    await expect(crasher.waitUntil('an answer', () => false, 60_000)).rejects.toThrow(
      /crasher exited \(code 2\): bad config: PORT/,
    );
  });

  it('stops by PID with SIGTERM, and with SIGKILL after the grace when SIGTERM is ignored', async () => {
    const polite = node('polite', 'console.log("up"); setInterval(() => {}, 1000)');
    await polite.waitUntil('start', () => polite.output.includes('up'), 10_000);
    await polite.stop();
    expect(await polite.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(polite.running).toBe(false);

    const stubborn = node(
      'stubborn',
      'process.on("SIGTERM", () => console.log("ignored")); console.log("up"); setInterval(() => {}, 1000)',
    );
    await stubborn.waitUntil('start', () => stubborn.output.includes('up'), 10_000);
    await stubborn.stop('SIGTERM', 200);
    expect(await stubborn.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(stubborn.output).toContain('ignored');
  });

  it('runs a child that outlives it in a process group of its own, still stopped by PID', async () => {
    const logFile = join(dir, 'daemon.log');
    const daemon = node('daemon', 'console.log("up"); setInterval(() => {}, 1000)', { logFile, outlivesParent: true });
    await daemon.waitUntil('start', () => daemon.output.includes('up'), 10_000);
    // /proc/<pid>/stat: pid (comm) state ppid pgrp ...
    const pgrp = (await readFile(`/proc/${daemon.pid}/stat`, 'utf8')).split(') ')[1]?.split(' ')[2];
    expect(pgrp).toBe(String(daemon.pid));
    await daemon.stop();
    expect(await daemon.exited).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('reports an exit nobody asked for, and not one that stop() caused', async () => {
    const reports: { exit: Exit; output: string }[] = [];
    const onUnexpectedExit = (exit: Exit, output: string) => reports.push({ exit, output });
    const crash = node('crash', 'console.error("out of memory"); process.exit(3)', { onUnexpectedExit });
    await crash.exited;
    expect(reports).toEqual([{ exit: { code: 3, signal: null }, output: 'out of memory' }]);

    const stopped = node('stopped', 'console.log("up"); setInterval(() => {}, 1000)', { onUnexpectedExit });
    await stopped.waitUntil('start', () => stopped.output.includes('up'), 10_000);
    await stopped.stop();
    expect(reports).toHaveLength(1);
  });

  it('settles with the spawn error when the command does not exist', async () => {
    const missing = supervise({ name: 'missing', command: join(dir, 'no-such-program') });
    expect(await missing.exited).toEqual({ code: null, signal: null });
    expect(missing.output).toContain('ENOENT');
    expect(missing.exitSignal.aborted).toBe(true);
  });
});
