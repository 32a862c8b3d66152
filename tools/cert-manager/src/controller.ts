import { supervise, type Supervised } from '@kubeonazure/tool-kit';
import type { CertManagerKit } from './kit.js';

export interface StartOptions {
  /** A kubeconfig whose current context is the cluster to manage. */
  kubeconfig: string;
  /** Where ClusterIssuers' Secrets live (upstream's default is the controller's own namespace). */
  clusterResourceNamespace?: string;
  /** stdout and stderr go here; without it the last lines are kept for error messages. */
  logFile?: string;
  /** klog verbosity; 2 logs every sync. */
  verbosity?: number;
}

/**
 * Starts cert-manager's controllers out of cluster against one cluster, without the webhook: the
 * API server then accepts any Certificate its CRD schema allows, so callers validate their own.
 * It talks only to that API server (and, for ACME issuers, to their servers). Stop it with `stop()`.
 */
export function startCertManager(kit: CertManagerKit, options: StartOptions): Supervised {
  return supervise({
    name: 'cert-manager',
    command: kit.controller,
    args: [
      `--kubeconfig=${options.kubeconfig}`,
      `--cluster-resource-namespace=${options.clusterResourceNamespace ?? 'cert-manager'}`,
      `--v=${options.verbosity ?? 2}`,
    ],
    ...(options.logFile === undefined ? {} : { logFile: options.logFile }),
  });
}
