/**
 * A local Docker engine and image registry for machines without one: Debian's dockerd on a private
 * socket (never /var/run/docker.sock, which would make libs/dev-db pick testcontainers) and Debian's
 * docker-registry on loopback. State lives under one cache folder; nothing else on the machine changes.
 * Several processes share one engine: the first starts it, the last to stop it stops it.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort, kubeonazureCache, pollUntil, portIsFree, supervise } from '@kubeonazure/tool-kit';

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
  /** True when this call started dockerd; false when it was already running. */
  started: boolean;
  /** Ends this use; the last use of the engine (in any process) stops dockerd. */
  stop(): Promise<void>;
}

export interface LocalRegistry {
  /** `127.0.0.1:<port>`, the IMAGE_REGISTRY to push to. */
  host: string;
  stop(): Promise<void>;
}

/** Whether `pid` is a running process (a zombie, exited but not yet reaped, is not). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
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
 * What dockerd and its containerd would create outside their roots whatever the flags (plugin and shim
 * socket folders, runc state). dockerd runs in a mount namespace of its own with a private /run, so
 * they land there and vanish with it: engines never share them, and the host never sees them.
 */
export const HOST_PATHS = ['/run/docker', '/run/containerd', '/run/runc', '/etc/docker/key.json'];

/** A fresh tmpfs on /run, seen by dockerd and its children only; then dockerd in the same process (same PID). */
const PRIVATE_RUN = 'mount -t tmpfs -o mode=0755 kubeonazure-engine /run && exec /usr/sbin/dockerd "$@"';

/** How long a process waits for another to finish starting or stopping the engine. */
const LOCK_TIMEOUT_MS = 2 * START_TIMEOUT_MS;

/**
 * Runs `body` holding the engine folder's lock: a file holding the owner's PID, made by a hard link
 * (atomic; it fails if the file exists). A lock whose owner is gone is taken over.
 */
async function withLock<T>(dir: string, body: () => Promise<T>): Promise<T> {
  const lock = join(dir, 'lock');
  const mine = join(dir, `lock-${process.pid}-${randomUUID()}`);
  writeFileSync(mine, String(process.pid));
  try {
    await pollUntil(
      () => {
        try {
          linkSync(mine, lock);
          return true;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
          // Two waiters could both find it stale and the second remove the first's new lock: a
          // narrow window, only after a process died holding it.
          const owner = readPid(lock);
          if (owner !== undefined && !alive(owner)) rmSync(lock, { force: true });
          return false;
        }
      },
      { what: `the engine's lock (${lock})`, timeoutMs: LOCK_TIMEOUT_MS, intervalMs: 50 },
    );
  } finally {
    rmSync(mine, { force: true });
  }
  try {
    return await body();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** The engine's uses (a file each, holding its process's PID) whose process still runs; the others' files are removed. */
function liveUsers(dir: string): string[] {
  const users = join(dir, 'users');
  const names = existsSync(users) ? readdirSync(users) : [];
  return names.filter((user) => {
    const pid = readPid(join(users, user));
    if (pid !== undefined && alive(pid)) return true;
    rmSync(join(users, user), { force: true });
    return false;
  });
}

/** The PID of the folder's dockerd when it runs; a PID file left by one that died (its PID maybe reused) is removed. */
function runningDockerd(dir: string): number | undefined {
  const file = join(dir, 'dockerd.pid');
  const pid = readPid(file);
  if (pid === undefined) return undefined;
  try {
    if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(file) && alive(pid)) return pid;
  } catch {
    // Gone.
  }
  rmSync(file, { force: true });
  return undefined;
}

/** SIGTERM to dockerd (it stops its containers and its containerd itself), SIGKILL after 30 s; resolves once it is gone. */
async function stopPid(pid: number): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const gone = await pollUntil(() => !alive(pid), { what: 'dockerd gone', timeoutMs: 30_000, intervalMs: 100 }).catch(
    () => false,
  );
  if (gone) return;
  process.kill(pid, 'SIGKILL');
  await pollUntil(() => !alive(pid), { what: `dockerd (PID ${pid}) gone after SIGKILL`, timeoutMs: 10_000 });
}

/** This process's uses not yet stopped (their files): at exit (a crash, Ctrl-C) they end. */
const ownUsers = new Set<string>();

function endUsesAtExit(): void {
  // No waiting at exit: remove this process's users and ask every dockerd nobody else uses to stop.
  const dirs = new Set([...ownUsers].map((user) => dirname(dirname(user))));
  for (const user of ownUsers) rmSync(user, { force: true });
  for (const dir of dirs) {
    const pid = runningDockerd(dir);
    if (pid !== undefined && liveUsers(dir).length === 0) process.kill(pid, 'SIGTERM');
  }
}

/** Starts dockerd detached (it outlives this process while others use it), in its own mount namespace. */
async function launch(dir: string, dockerHost: string): Promise<void> {
  if (!existsSync('/usr/sbin/dockerd')) {
    throw new Error('no dockerd: apt-get install docker.io (Debian) to get a local engine');
  }
  // A dockerd of an earlier run that no longer answers (its PID file would stop a new one).
  const stale = runningDockerd(dir);
  if (stale !== undefined) await stopPid(stale);
  // Our own daemon.json, so a host /etc/docker/daemon.json cannot change these settings; the engine's
  // identity key in its folder, not /etc/docker/key.json.
  writeFileSync(join(dir, 'daemon.json'), `${JSON.stringify({ 'deprecated-key-path': join(dir, 'key.json') })}\n`);
  const logFile = join(dir, 'dockerd.log');
  // The cache folder outlives runs: each start begins a fresh log.
  writeFileSync(logFile, '');
  const child = supervise({
    name: 'dockerd',
    command: 'unshare',
    args: ['--mount', '--propagation', 'private', '--', 'sh', '-c', PRIVATE_RUN, 'dockerd', ...dockerdArgs(dir)],
    logFile,
    outlivesParent: true,
  });
  try {
    await child.waitUntil('an answer to docker info', () => engineAnswers(dockerHost), START_TIMEOUT_MS, 200);
  } catch (error) {
    if (child.pid !== undefined) await stopPid(child.pid);
    throw error;
  }
}

/** Starts dockerd on the private socket, or joins the one already running there (from any process). */
export async function startEngine(env: NodeJS.ProcessEnv = process.env): Promise<LocalEngine> {
  const dir = engineDir(env);
  const dockerHost = `unix://${join(dir, 'docker.sock')}`;
  mkdirSync(join(dir, 'users'), { recursive: true });
  const user = join(dir, 'users', `${process.pid}-${randomUUID()}`);
  return withLock(dir, async () => {
    const running = runningDockerd(dir) !== undefined && engineAnswers(dockerHost);
    if (!running) await launch(dir, dockerHost);
    writeFileSync(user, String(process.pid));
    if (ownUsers.size === 0) process.once('exit', endUsesAtExit);
    ownUsers.add(user);
    let stopped = false;
    return {
      dockerHost,
      started: !running,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await withLock(dir, async () => {
          rmSync(user, { force: true });
          ownUsers.delete(user);
          if (ownUsers.size === 0) process.removeListener('exit', endUsesAtExit);
          const dockerd = runningDockerd(dir);
          if (dockerd !== undefined && liveUsers(dir).length === 0) await stopPid(dockerd);
        });
      },
    };
  });
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
