/** The local engine leaves the host's network and paths as it found them, and nothing on the default socket. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pollUntil } from '@kubeonazure/tool-kit';
import { describe, expect, it } from 'vitest';
import { dockerClient, engineAnswers, HOST_PATHS, type LocalEngine, startEngine } from '../src/engine.ts';

function network(): Record<string, string> {
  const out = (program: string, args: string[]) => spawnSync(program, args, { encoding: 'utf8' }).stdout;
  return {
    links: out('ip', ['-br', 'link']),
    iptables: out('iptables', ['-S']),
    nat: out('iptables', ['-t', 'nat', '-S']),
    ipForward: readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'),
    hostPaths: HOST_PATHS.filter((path) => existsSync(path)).join(' '),
  };
}

describe('the local engine', () => {
  it('starts on its private socket, changes no link, rule, sysctl or host path, and stops by PID, leaving nothing', async () => {
    // Its own cache folder: a fresh dockerd, not the one `npm run registry` may be running.
    const cache = mkdtempSync(join(tmpdir(), 'kubeonazure-engine-'));
    const before = network();
    const engine = await startEngine({ ...process.env, XDG_CACHE_HOME: cache });
    try {
      expect(engine.started).toBe(true);
      expect(engine.dockerHost).toBe(`unix://${cache}/kubeonazure/engine/docker.sock`);
      const info = spawnSync(dockerClient(), ['info', '--format', '{{.DockerRootDir}}'], {
        encoding: 'utf8',
        env: { ...process.env, DOCKER_HOST: engine.dockerHost },
      });
      expect(info.stdout.trim()).toBe(`${cache}/kubeonazure/engine/data`);
      // Not even while it runs: its /run is its own.
      expect(network()).toEqual(before);
      expect(existsSync('/var/run/docker.sock')).toBe(false);
    } finally {
      await engine.stop();
      rmSync(cache, { recursive: true, force: true });
    }
    expect(network()).toEqual(before);
    expect(existsSync(`${cache}/kubeonazure/engine/docker.sock`)).toBe(false);
  }, 120_000);

  it('is started once for two users at the same time and stopped by the last of them', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'kubeonazure-engine-'));
    const env = { ...process.env, XDG_CACHE_HOME: cache };
    const users = await Promise.all([startEngine(env), startEngine(env)]);
    try {
      expect(users.map((user) => user.started).sort()).toEqual([false, true]);
      const [first, second] = users.sort((a) => (a.started ? -1 : 1)) as [LocalEngine, LocalEngine];
      expect(second.dockerHost).toBe(first.dockerHost);
      const dockerd = Number(readFileSync(`${cache}/kubeonazure/engine/dockerd.pid`, 'utf8'));
      // The one who started it stops first: the other still has it.
      await first.stop();
      expect(engineAnswers(second.dockerHost)).toBe(true);
      await second.stop();
      expect(engineAnswers(second.dockerHost)).toBe(false);
      // Stopped means exited; this process (its parent) reaps it on its next SIGCHLD, so the entry goes soon after.
      await pollUntil(() => !existsSync(`/proc/${dockerd}`), {
        what: `dockerd (PID ${dockerd}) reaped`,
        timeoutMs: 5_000,
      });
    } finally {
      await Promise.all(users.map((user) => user.stop()));
      rmSync(cache, { recursive: true, force: true });
    }
  }, 180_000);
});
