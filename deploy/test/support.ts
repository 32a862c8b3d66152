import { execFile, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { releaseComponent } from '@kubeonazure/globe/release';
import { TEST_RELEASE } from '@kubeonazure/globe/testing';
import { parse, parseAllDocuments } from 'yaml';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const k8sDir = `${repoRoot}deploy/k8s/`;

/** A rendered Kubernetes object, typed loosely: the tests read paths the model classes validated. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: any;
}

export function run(
  command: string,
  args: string[],
  env: Record<string, string | undefined> = {},
  cwd = repoRoot,
): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
}

// kubectl embeds kustomize; a standalone kustomize (`go install sigs.k8s.io/kustomize/kustomize/v5`) does too.
const KUSTOMIZE =
  run('kubectl', ['version', '--client']).status === 0 ? ['kubectl', 'kustomize'] : ['kustomize', 'build'];

/** `kubectl kustomize <dir>`, parsed. */
export function render(dir: string): K8sObject[] {
  const [command, ...args] = KUSTOMIZE as [string, string];
  const result = run(command, [...args, dir]);
  if (result.status !== 0)
    throw new Error(`${KUSTOMIZE.join(' ')} ${dir} failed: ${result.error?.message ?? result.stderr}`);
  return parseAllDocuments(result.stdout).map((document) => document.toJS() as K8sObject);
}

/** `kubectl kustomize deploy/k8s/overlays/<region>`, parsed. */
export function renderOverlay(region: string): K8sObject[] {
  return render(`${k8sDir}overlays/${region}`);
}

export function readYaml(path: string): any {
  return parse(readFileSync(path, 'utf8'));
}

/** The lines that are commands (not `#` comments) in a script's dry-run output. */
export function commandLines(stdout: string): string[] {
  return stdout.split('\n').filter((line) => line.length > 0 && !line.startsWith('#'));
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A kit's kubectl in one region's context of a local cluster set; resolves with the exit code instead of throwing. */
export async function kubectlIn(
  set: { kubectl: string; kubeconfig: string },
  region: string,
  ...args: string[]
): Promise<KubectlResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(set.kubectl, [
      '--kubeconfig',
      set.kubeconfig,
      '--context',
      `kubeonazure-${region}`,
      ...args,
    ]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const err = error as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

/** The region list's records as written (what the ApplicationSet's git files generator reads). */
export function readRecords(file: string): Record<string, unknown>[] {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>[];
}

/**
 * A `{{ .key }}` Go template as the ApplicationSet controller evaluates it for one record, with
 * `missingkey=error`: a key the record lacks, or one that is not a plain value, throws.
 */
export function renderGoTemplate(template: string, record: Record<string, unknown>): string {
  return template.replaceAll(/\{\{ \.(\w+) \}\}/g, (_, key: string) => {
    const value = record[key];
    if (typeof value !== 'string') throw new Error(`missing key ${key}`);
    return value;
  });
}

/** A Kubernetes label selector (NetworkPolicy `podSelector`, `namespaceSelector`). */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

/** Whether `selector` selects an object with `labels`, as the API server decides it (`{}` selects all). */
export function selects(selector: LabelSelector, labels: Record<string, string> = {}): boolean {
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  return (
    byLabel &&
    (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
      if (operator === 'Exists') return key in labels;
      if (operator === 'DoesNotExist') return !(key in labels);
      const member = key in labels && values.includes(labels[key]!);
      return operator === 'In' ? member : !member;
    })
  );
}

/** The same selector as `kubectl get -l` takes it. */
export function selectorString(selector: LabelSelector): string {
  return [
    ...Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`),
    ...(selector.matchExpressions ?? []).map(({ key, operator, values = [] }) => {
      if (operator === 'Exists') return key;
      if (operator === 'DoesNotExist') return `!${key}`;
      return `${key} ${operator === 'In' ? 'in' : 'notin'} (${values.join(',')})`;
    }),
  ].join(',');
}

/** A copy of deploy/k8s in `dir` with TEST_RELEASE pinned, as `globe release` pins one; returns its path. */
export function releasedCopy(dir: string): string {
  const copy = join(dir, 'k8s');
  cpSync(k8sDir, copy, { recursive: true });
  writeFileSync(join(copy, 'release/kustomization.yaml'), releaseComponent(TEST_RELEASE));
  return `${copy}/`;
}
