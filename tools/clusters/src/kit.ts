import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { withHeartbeat } from '@kubeonazure/tool-kit';

const run = promisify(execFile);

/** This project's Go module (go.mod, go.sum): the Kubernetes, etcd and kwok commands as `tool`s. */
const moduleDir = fileURLToPath(new URL('../', import.meta.url));

export const KUBERNETES_VERSION = 'v1.33.13';

/** The binaries of one cluster, by the name the starter runs them under. */
const COMMANDS = {
  etcd: 'go.etcd.io/etcd/server/v3',
  'kube-apiserver': 'k8s.io/kubernetes/cmd/kube-apiserver',
  'kube-controller-manager': 'k8s.io/kubernetes/cmd/kube-controller-manager',
  'kube-scheduler': 'k8s.io/kubernetes/cmd/kube-scheduler',
  kwok: 'sigs.k8s.io/kwok/cmd/kwok',
  // The matching client, so tests and CI need no kubectl of the machine's.
  kubectl: 'k8s.io/kubernetes/cmd/kubectl',
} as const;
export type Command = keyof typeof COMMANDS;

// Outside Kubernetes' own build (hack/lib/version.sh) the version would read v0.0.0-master,
// which kubectl's version skew check and `kubectl version` would show.
const [, major, minor] = /^v(\d+)\.(\d+)\./.exec(KUBERNETES_VERSION) ?? [];
const LDFLAGS = [
  '-s',
  '-w',
  ...['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) => [
    `-X ${pkg}.gitVersion=${KUBERNETES_VERSION}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
  ]),
].join(' ');

export interface Kit {
  dir: string;
  /** Absolute path of each binary. */
  bin: Record<Command, string>;
  /** kwok's `fast` stages (nodes Ready at once, pods Ready as soon as scheduled), rendered from kwok's own module. */
  stages: string;
}

function cacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'kubeonazure');
}

function kitAt(dir: string): Kit {
  const bin = Object.fromEntries(Object.keys(COMMANDS).map((name) => [name, join(dir, name)])) as Record<
    Command,
    string
  >;
  return { dir, bin, stages: join(dir, 'kwok-stages.yaml') };
}

/**
 * Builds the cluster binaries once into ~/.cache/kubeonazure/clusters-<hash>, keyed by go.mod,
 * go.sum, the commands and the build flags; a later call returns the cached kit at once. The first build
 * takes 8-12 minutes on 2 cores (about 3 GB of Go build cache); `log` hears each step and, during the
 * build, a heartbeat with the time so far.
 */
export async function ensureKit(log: (line: string) => void = () => {}): Promise<Kit> {
  const hash = createHash('sha256');
  for (const file of ['go.mod', 'go.sum']) hash.update(await readFile(join(moduleDir, file)));
  hash.update(JSON.stringify({ COMMANDS, LDFLAGS }));
  const kit = kitAt(join(cacheDir(), `clusters-${hash.digest('hex').slice(0, 12)}`));
  if (existsSync(kit.stages)) return kit;

  // Built next to its final place and renamed, so a half-finished build is never taken for a kit.
  const partial = `${kit.dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  try {
    log(`building the cluster kit into ${kit.dir}; the first build takes about 10 minutes`);
    await withHeartbeat(
      `go build ${Object.keys(COMMANDS).join(', ')} (Kubernetes ${KUBERNETES_VERSION})`,
      () => go(['build', '-trimpath', '-ldflags', LDFLAGS, '-o', `${partial}/`, ...Object.values(COMMANDS)]),
      { log },
    );
    // `go build` names a binary after its package path; etcd's ends in /server/v3.
    await rename(join(partial, 'server'), join(partial, 'etcd'));
    log("rendering kwok's fast stages");
    const { stdout: kwokDir } = await go(['list', '-m', '-f', '{{.Dir}}', 'sigs.k8s.io/kwok']);
    const { stdout: stages } = await run(kitAt(partial).bin.kubectl, [
      'kustomize',
      join(kwokDir.trim(), 'kustomize/stage/fast'),
    ]);
    await writeFile(kitAt(partial).stages, stages);
    await rename(partial, kit.dir).catch(async (error: NodeJS.ErrnoException) => {
      // Another process finished the same kit first.
      if (!existsSync(kit.stages)) throw error;
    });
    return kit;
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}

async function go(args: string[]): Promise<{ stdout: string }> {
  try {
    return await run('go', args, { cwd: moduleDir, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const err = error as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT')
      throw new Error('building the cluster kit needs Go >= 1.24 on PATH (https://go.dev/dl/)');
    throw new Error(`go ${args[0]} failed: ${err.stderr?.trim().split('\n').slice(-5).join(' | ') ?? err.message}`);
  }
}
