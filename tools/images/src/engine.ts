/**
 * A local Docker engine and image registry for machines without one: Debian's dockerd on a private
 * socket (never /var/run/docker.sock, which would make libs/dev-db pick testcontainers) and Debian's
 * docker-registry on loopback. State lives under one cache folder; nothing else on the machine changes.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'kubeonazure');
}

/** Where the local engine keeps everything: data, exec state, socket, pid file, log. */
export function engineDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), 'engine');
}

/**
 * dockerd's flags. No bridge, no iptables rules, no ip_forward: the engine leaves the host's network
 * as it found it. Builds and containers use the host's network (`--network host`) instead.
 */
export function dockerdArgs(dir: string): string[] {
  return [
    '--host',
    `unix://${join(dir, 'docker.sock')}`,
    '--data-root',
    join(dir, 'data'),
    '--exec-root',
    join(dir, 'exec'),
    '--pidfile',
    join(dir, 'dockerd.pid'),
    '--config-file',
    join(dir, 'daemon.json'),
    '--iptables=false',
    '--ip6tables=false',
    '--ip-forward=false',
    '--ip-masq=false',
    '--bridge=none',
    '--userland-proxy=false',
  ];
}

/** The registry's configuration: loopback only, no auth, blobs in `storage`. */
export function registryConfig(address: string, storage: string): string {
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storage}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${address}`,
    '',
  ].join('\n');
}

export interface LocalEngine {
  /** `unix://…/docker.sock`: give it as DOCKER_HOST to docker commands, and only to them. */
  dockerHost: string;
  /** True when this call started dockerd (and stop() will stop it); false when it was already running. */
  started: boolean;
  stop(): Promise<void>;
}

export interface LocalRegistry {
  /** `127.0.0.1:<port>`, the IMAGE_REGISTRY to push to. */
  host: string;
  stop(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** `docker info` against the given engine; the client is Debian's, which has BuildKit built in. */
export function engineAnswers(dockerHost: string): boolean {
  return (
    spawnSync(dockerClient(), ['info'], { env: { ...process.env, DOCKER_HOST: dockerHost }, stdio: 'ignore' })
      .status === 0
  );
}

/**
 * The docker client for builds: `DOCKER` when set, else Debian's 20.10 client next to its dockerd
 * (builds with its built-in BuildKit), else `docker` from PATH (which needs buildx from 23.0 on).
 */
export function dockerClient(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DOCKER) return env.DOCKER;
  return existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
}

async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  child: ChildProcess,
  log: string,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}: ${tail(log)}`);
    if (await check()) return;
    await sleep(200);
  }
  throw new Error(`${what} did not start within 60 s: ${tail(log)}`);
}

function tail(log: string): string {
  return existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').slice(-3).join(' | ') : '(no log)';
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * What dockerd and its containerd create outside their roots whatever the flags (plugin and shim
 * socket folders, runc state, the engine's identity key): removed on stop unless they were there before.
 */
export const HOST_PATHS = ['/run/docker', '/run/containerd', '/run/runc', '/etc/docker/key.json'];

/** Starts dockerd on the private socket, or reuses the one already running there. */
export async function startEngine(env: NodeJS.ProcessEnv = process.env): Promise<LocalEngine> {
  const dir = engineDir(env);
  const dockerHost = `unix://${join(dir, 'docker.sock')}`;
  const pid = readPid(join(dir, 'dockerd.pid'));
  if (pid !== undefined && alive(pid) && engineAnswers(dockerHost)) {
    return { dockerHost, started: false, stop: async () => undefined };
  }
  if (!existsSync('/usr/sbin/dockerd')) {
    throw new Error('no dockerd: apt-get install docker.io (Debian) to get a local engine');
  }
  mkdirSync(dir, { recursive: true });
  // Our own (empty) daemon.json, so a host /etc/docker/daemon.json cannot change these settings.
  writeFileSync(join(dir, 'daemon.json'), '{}\n');
  const log = join(dir, 'dockerd.log');
  const created = HOST_PATHS.filter((path) => !existsSync(path));
  const stop = async (): Promise<void> => {
    // dockerd stops its containers and its containerd itself on SIGTERM.
    await stopChild(child, 30_000);
    for (const path of created) rmSync(path, { recursive: true, force: true });
  };
  const child = spawn('/usr/sbin/dockerd', dockerdArgs(dir), {
    stdio: ['ignore', openSync(log, 'w'), openSync(log, 'a')],
  });
  try {
    await waitFor('dockerd', () => engineAnswers(dockerHost), child, log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { dockerHost, started: true, stop };
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Starts Debian's docker-registry, empty, on 127.0.0.1:`preferredPort`, or a free port when that is taken or 0. */
export async function startRegistry(preferredPort = 5000): Promise<LocalRegistry> {
  if (!existsSync('/usr/bin/docker-registry')) {
    throw new Error('no docker-registry: apt-get install docker-registry (Debian) to get a local registry');
  }
  const port = preferredPort !== 0 && (await portFree(preferredPort)) ? preferredPort : await freePort();
  const host = `127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'kubeonazure-registry-'));
  writeFileSync(join(dir, 'config.yml'), registryConfig(host, join(dir, 'storage')));
  const log = join(dir, 'registry.log');
  const child = spawn('/usr/bin/docker-registry', ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', openSync(log, 'w'), openSync(log, 'a')],
  });
  const answers = async (): Promise<boolean> => {
    try {
      return (await fetch(`http://${host}/v2/`)).status === 200;
    } catch {
      return false;
    }
  };
  try {
    await waitFor('docker-registry', answers, child, log);
  } catch (error) {
    await stopChild(child, 5_000);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    host,
    stop: async () => {
      await stopChild(child, 10_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
