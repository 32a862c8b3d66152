import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cachedGoBuild, withHeartbeat } from '@kubeonazure/tool-kit';

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
  const dir = await cachedGoBuild({
    name: 'clusters',
    cwd: moduleDir,
    hashFiles: ['go.mod', 'go.sum'],
    key: [JSON.stringify({ COMMANDS, LDFLAGS })],
    entry: 'directory',
    missingGo: 'building the cluster kit needs Go >= 1.24 on PATH (https://go.dev/dl/)',
    complete: (path) => existsSync(kitAt(path).stages),
    build: async ({ partial, dir, go }) => {
      log(`building the cluster kit into ${dir}; the first build takes about 10 minutes`);
      await withHeartbeat(
        `go build ${Object.keys(COMMANDS).join(', ')} (Kubernetes ${KUBERNETES_VERSION})`,
        () => go(['build', '-trimpath', '-ldflags', LDFLAGS, '-o', `${partial}/`, ...Object.values(COMMANDS)]),
        { log },
      );
      // `go build` names a binary after its package path; etcd's ends in /server/v3.
      await rename(join(partial, 'server'), join(partial, 'etcd'));
      log("rendering kwok's fast stages");
      const kwokDir = await go(['list', '-m', '-f', '{{.Dir}}', 'sigs.k8s.io/kwok']);
      const { stdout: stages } = await run(kitAt(partial).bin.kubectl, [
        'kustomize',
        join(kwokDir.trim(), 'kustomize/stage/fast'),
      ]);
      await writeFile(kitAt(partial).stages, stages);
    },
  });
  return kitAt(dir);
}
