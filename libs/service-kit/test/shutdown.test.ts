import { fileURLToPath } from 'node:url';
import { supervise } from '@kubeonazure/tool-kit';
import { describe, expect, it, vi } from 'vitest';

const fixture = fileURLToPath(new URL('./fixture-service.ts', import.meta.url));

/** Runs the fixture on the built kit (plain node, as in production) and collects its log lines. */
function start(env: Record<string, string>) {
  const out: string[] = [];
  const child = supervise({
    name: 'fixture-service',
    command: process.execPath,
    args: [fixture],
    env: { ...process.env, ...env },
    onLine: (line, stream) => {
      if (stream === 'stdout' && line !== '') out.push(line);
    },
  });
  const lines = () => out.map((line) => JSON.parse(line) as Record<string, unknown>);
  const exited = child.exited.then((exit) => exit.code);
  return {
    lines,
    exited,
    stop: () => child.stop(),
    // A bound, not a timing assertion: the kit loads the database driver and Fastify, slow on a busy machine.
    ready: () => vi.waitFor(() => expect(lines().map((l) => l.msg)).toContain('ready'), { timeout: 15_000 }),
  };
}

describe('onShutdown', () => {
  it('logs with the shared base fields, closes on SIGTERM and exits 0', async () => {
    const service = start({});
    await service.ready();
    await service.stop();
    expect(await service.exited).toBe(0);
    const lines = service.lines();
    expect(lines[0]).toMatchObject({ service: 'frontend', region: 'uksouth', msg: 'ready' });
    expect(lines.map((line) => line.msg)).toEqual(['ready', 'stopping', 'closed']);
    expect(lines[1]).toMatchObject({ signal: 'SIGTERM' });
  });

  it('writes every line, whole and in order, before it exits', async () => {
    const service = start({ CLOSING_BYTES: String(4 * 1024 * 1024) });
    await service.ready();
    await service.stop();
    expect(await service.exited).toBe(0);
    expect(service.lines().map((line) => line.msg)).toEqual(['ready', 'stopping', 'closing', 'closed']);
  });

  it('exits 1 when closing outlasts the grace period', async () => {
    const service = start({ CLOSE_MS: '5000', GRACE_MS: '200' });
    await service.ready();
    await service.stop();
    expect(await service.exited).toBe(1);
    expect(service.lines().map((line) => line.msg)).not.toContain('closed');
  });

  it('closes and exits 1 after the service reports a failure', async () => {
    const service = start({ FAIL_AFTER_MS: '50' });
    expect(await service.exited).toBe(1);
    const messages = service.lines().map((line) => line.msg);
    // The failure under `err`, as pino's error serializer writes it.
    expect(service.lines().find((line) => line.msg === 'stopping after a failure')).toMatchObject({
      level: 60,
      err: { type: 'Error', message: 'source failed' },
    });
    expect(messages).toContain('closed');
  });
});
