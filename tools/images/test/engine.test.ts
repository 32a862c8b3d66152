/** The local engine leaves the host's network as it found it, and nothing on the default socket. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerClient, HOST_PATHS, startEngine } from '../src/engine.ts';

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
  it('starts on its private socket, changes no link, rule or sysctl, and stops by PID, leaving nothing', async () => {
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
      const running = network();
      expect({ ...running, hostPaths: '' }).toEqual({ ...before, hostPaths: '' });
      expect(existsSync('/var/run/docker.sock')).toBe(false);
    } finally {
      await engine.stop();
      rmSync(cache, { recursive: true, force: true });
    }
    expect(network()).toEqual(before);
    expect(existsSync(`${cache}/kubeonazure/engine/docker.sock`)).toBe(false);
  }, 120_000);
});
