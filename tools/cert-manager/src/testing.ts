import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Supervised } from '@kubeonazure/tool-kit';
import { afterAll, beforeAll } from 'vitest';
import { startCertManager } from './controller.js';
import { ensureCertManager } from './kit.js';

const exec = promisify(execFile);

/** Where cert-manager runs: a kubeconfig whose current context is the cluster, and its kubectl. */
export interface Target {
  kubeconfig: string;
  kubectl: string;
}

/** Applies cert-manager's CRDs (server-side) in `context` (the current one without) and waits until they are Established. */
export async function installCrds(target: Target, crds: string, context?: string): Promise<void> {
  const run = (...args: string[]) =>
    exec(target.kubectl, ['--kubeconfig', target.kubeconfig, ...(context ? ['--context', context] : []), ...args]);
  await run('apply', '--server-side', '-f', crds);
  await run('wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all');
}

/**
 * For the calling test file: cert-manager's CRDs, and no controller, in every cluster of the set
 * `target()` names (e.g. from `useClusters`, registered before this), before its tests. Applying an
 * overlay needs them: every overlay lists deploy/k8s/components/tls.
 */
export function useCertManagerCrds(target: () => Target & { clusters: readonly { context: string }[] }): void {
  beforeAll(async () => {
    const set = target();
    const { crds } = await ensureCertManager();
    await Promise.all(set.clusters.map((cluster) => installCrds(set, crds, cluster.context)));
  });
}

/**
 * For the calling test file: installs cert-manager's CRDs into the cluster `target()` names (once
 * it runs, e.g. from `useClusters`, registered before this), starts the controller against it, and
 * stops it after the last test. The returned function gives the running controller inside tests.
 */
export function useCertManager(target: () => Target): () => Supervised {
  let controller: Supervised | undefined;
  const logDir = mkdtempSync(join(tmpdir(), 'kubeonazure-cert-manager-'));
  beforeAll(async () => {
    const { kubeconfig, kubectl } = target();
    const kit = await ensureCertManager();
    await installCrds({ kubeconfig, kubectl }, kit.crds);
    await exec(kubectl, ['--kubeconfig', kubeconfig, 'create', 'namespace', 'cert-manager']);
    controller = startCertManager(kit, { kubeconfig, logFile: join(logDir, 'cert-manager.log') });
  });
  afterAll(async () => {
    await controller?.stop();
    rmSync(logDir, { recursive: true, force: true });
  });
  return () => {
    if (controller === undefined)
      throw new Error('cert-manager is not running (useCertManager starts it in beforeAll)');
    return controller;
  };
}
