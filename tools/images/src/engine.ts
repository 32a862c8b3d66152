/**
 * A local Docker engine and image registry for machines without one: Debian's dockerd on a private
 * socket (never /var/run/docker.sock, which would make libs/dev-db pick testcontainers) and Debian's
 * docker-registry on loopback. State lives under one cache folder; nothing else on the machine changes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, kubeonazureCache, portIsFree, supervise } from '@kubeonazure/tool-kit';

/** Where the local engine keeps everything: data, exec state, socket, pid file, log. */
export function engineDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(kubeonazureCache(env), 'engine');
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

/** The registry's configuration: loopback only, blobs in `storage`, no auth unless `auth` is given. */
export function registryConfig(address: string, storage: string, auth?: RegistryAuth): string {
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
    ...(auth === undefined
      ? []
      : [
          'auth:',
          ...Object.entries(auth).flatMap(([kind, settings]) => [
            `  ${kind}:`,
            ...Object.entries(settings).map(([name, value]) => `    ${name}: ${JSON.stringify(value)}`),
          ]),
        ]),
    '',
  ].join('\n');
}

/**
 * The registry's `auth` section, for tests of clients that log in: `{ htpasswd: { realm, path } }` (basic,
 * bcrypt entries only) or `{ token: { realm, service, issuer, rootcertbundle } }` (a token service's JWTs).
 */
export type RegistryAuth = Record<string, Record<string, string>>;

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

/** How long dockerd or the registry may take to answer. */
const START_TIMEOUT_MS = 60_000;

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
  const logFile = join(dir, 'dockerd.log');
  // The cache folder outlives runs: each start begins a fresh log.
  writeFileSync(logFile, '');
  const created = HOST_PATHS.filter((path) => !existsSync(path));
  // dockerd stops its containers and its containerd itself on SIGTERM.
  const child = supervise({
    name: 'dockerd',
    command: '/usr/sbin/dockerd',
    args: dockerdArgs(dir),
    logFile,
    graceMs: 30_000,
  });
  const stop = async (): Promise<void> => {
    await child.stop();
    for (const path of created) rmSync(path, { recursive: true, force: true });
  };
  try {
    await child.waitUntil('an answer to docker info', () => engineAnswers(dockerHost), START_TIMEOUT_MS, 200);
  } catch (error) {
    await stop();
    throw error;
  }
  return { dockerHost, started: true, stop };
}

/**
 * Starts Debian's docker-registry, empty, on 127.0.0.1:`preferredPort`, or a free port when that is taken
 * or 0; open to all, or asking for a login as `auth` says.
 */
export async function startRegistry(preferredPort = 5000, auth?: RegistryAuth): Promise<LocalRegistry> {
  if (!existsSync('/usr/bin/docker-registry')) {
    throw new Error('no docker-registry: apt-get install docker-registry (Debian) to get a local registry');
  }
  const port = preferredPort !== 0 && (await portIsFree(preferredPort)) ? preferredPort : await freePort();
  const host = `127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'kubeonazure-registry-'));
  writeFileSync(join(dir, 'config.yml'), registryConfig(host, join(dir, 'storage'), auth));
  const child = supervise({
    name: 'docker-registry',
    command: '/usr/bin/docker-registry',
    args: ['serve', join(dir, 'config.yml')],
    logFile: join(dir, 'registry.log'),
  });
  const answers = async (): Promise<boolean> => {
    try {
      // 401: up, and asking for the login `auth` set.
      return [200, 401].includes((await fetch(`http://${host}/v2/`)).status);
    } catch {
      return false;
    }
  };
  try {
    await child.waitUntil(`an answer at http://${host}/v2/`, answers, START_TIMEOUT_MS, 200);
  } catch (error) {
    await child.stop('SIGTERM', 5_000);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    host,
    stop: async () => {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
