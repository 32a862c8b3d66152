import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ClusterSet } from '@kubeonazure/clusters';
import type { AzSession } from '@kubeonazure/fake-azure';
import { REGION_NAMES } from '@kubeonazure/regions';
import { releaseComponent } from '../src/release.ts';
import { TEST_RELEASE } from '../src/testing.ts';
import type { KubectlCall, Scenario } from './fake-kubectl/scenario.ts';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const fakeKubectlDir = fileURLToPath(new URL('./fake-kubectl', import.meta.url));
const recordingKubectlDir = fileURLToPath(new URL('./recording-kubectl', import.meta.url));
/** Only node's own folder: neither a real kubectl nor anything else from the machine is reachable. */
const nodeDir = path.dirname(process.execPath);
/** The machine's git: globe reads the checkout (a release's age). */
const git = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();

export interface GlobeRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Every kubectl invocation, in order. */
  calls: KubectlCall[];
}

export interface RunOptions {
  /** Run against these real clusters: the kit's kubectl (behind a recorder) and their kubeconfig. */
  clusters?: ClusterSet;
  /** For the fake kubectl, when no clusters are given. */
  scenario?: Scenario;
  env?: Record<string, string>;
  /** Leave the fake kubectl off PATH (kubectl not installed). */
  withoutKubectl?: boolean;
  /** The real az (from this process's PATH; .ci/run installs it), logged in to an Azure Resource Manager stand-in. */
  az?: AzSession;
}

/** The folder of the `az` on this process's PATH. */
export function azDir(): string {
  const dir = (process.env.PATH ?? '')
    .split(path.delimiter)
    .find((candidate) => existsSync(path.join(candidate, 'az')));
  if (dir === undefined) throw new Error('az is not on PATH (.ci/run installs azure-cli 2.91.0)');
  return dir;
}

/** Runs the built CLI as a child process with the real (recorded) or the fake kubectl first on PATH. */
export async function runGlobe(args: string[], options: RunOptions = {}): Promise<GlobeRun> {
  const dir = mkdtempSync(path.join(tmpdir(), 'globe-test-'));
  const log = path.join(dir, 'kubectl.log');
  writeFileSync(log, '');
  // A folder holding only git, so no other tool of the machine is on the CLI's PATH.
  const gitDir = path.join(dir, 'git');
  mkdirSync(gitDir);
  symlinkSync(git, path.join(gitDir, 'git'));
  try {
    const kubectl =
      options.clusters === undefined
        ? {
            PATH: [fakeKubectlDir, nodeDir, gitDir].join(path.delimiter),
            FAKE_KUBECTL_LOG: log,
            FAKE_KUBECTL_SCENARIO: JSON.stringify({
              contexts: REGION_NAMES.map((region) => `kubeonazure-${region}`),
              ...options.scenario,
            }),
          }
        : {
            PATH: [recordingKubectlDir, nodeDir, gitDir].join(path.delimiter),
            KUBECTL_LOG: log,
            REAL_KUBECTL: options.clusters.kubectl,
            KUBECONFIG: options.clusters.kubeconfig,
          };
    const env = {
      ...kubectl,
      ...(options.withoutKubectl === true ? { PATH: nodeDir } : {}),
      HOME: dir,
      ...options.az?.env,
      ...(options.az === undefined ? {} : { PATH: `${kubectl.PATH}${path.delimiter}${azDir()}` }),
      ...options.env,
    };
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const calls = readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as KubectlCall);
    return { code, stdout, stderr, calls };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The value after `--context` in a call, if any. */
export function contextOf(call: KubectlCall): string | undefined {
  const index = call.args.indexOf('--context');
  return index === -1 ? undefined : call.args[index + 1];
}

/**
 * A config file like the shipped one whose overlays folder holds an empty folder per region
 * (the fake kubectl renders them) and whose release component pins TEST_RELEASE (not in a checkout,
 * so a rollout needs --allow-stale); remove `dir` when done.
 */
export function writeTestConfig(): { dir: string; config: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'globe-config-'));
  const shipped = JSON.parse(readFileSync(new URL('../globe.config.json', import.meta.url), 'utf8')) as object;
  for (const region of REGION_NAMES) mkdirSync(path.join(dir, 'overlays', region), { recursive: true });
  mkdirSync(path.join(dir, 'release'));
  writeFileSync(path.join(dir, 'release/kustomization.yaml'), releaseComponent(TEST_RELEASE));
  const config = path.join(dir, 'globe.config.json');
  writeFileSync(config, JSON.stringify({ ...shipped, overlays: 'overlays', release: 'release' }));
  return { dir, config };
}

/** `kubectl get <what> -o json` in our namespace of a region's real cluster: what the API server holds. */
export async function liveObject<T>(set: ClusterSet, region: string, ...what: string[]): Promise<T> {
  const { stdout } = await promisify(execFile)(set.kubectl, [
    '--kubeconfig',
    set.kubeconfig,
    '--context',
    `kubeonazure-${region}`,
    '--namespace',
    'kubeonazure',
    'get',
    ...what,
    '-o',
    'json',
  ]);
  return JSON.parse(stdout) as T;
}
