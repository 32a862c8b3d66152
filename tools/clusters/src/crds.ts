import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedGoBuild, goModuleDir } from '@kubeonazure/tool-kit';
import { parse } from 'yaml';

/** The Prometheus Operator release whose CRDs every local cluster carries. */
export const PROMETHEUS_OPERATOR_VERSION = 'v0.85.0';
const MODULE = 'github.com/prometheus-operator/prometheus-operator';

/** A CustomResourceDefinition as the API server takes it. */
export interface Crd {
  apiVersion: string;
  kind: 'CustomResourceDefinition';
  metadata: { name: string };
  spec: { group: string; [field: string]: unknown };
}

/**
 * The CRDs the overlays and deploy/k8s/components/monitoring need, from the Prometheus Operator's Go
 * module (the Go module proxy, cached in ~/.cache/kubeonazure): its PodMonitor and PrometheusRule, and
 * AKS managed Prometheus's PodMonitor. Azure publishes no azmonitoring.coreos.com CRD to a registry;
 * the ama-metrics one is the coreos schema under Azure's group, so it is made from the coreos CRD with
 * the group renamed. Cached as JSON in ~/.cache/kubeonazure/monitoring-crds-<hash>.
 */
export async function ensureCrds(log: (line: string) => void = () => {}): Promise<Crd[]> {
  const file = (dir: string) => join(dir, 'crds.json');
  const dir = await cachedGoBuild({
    name: 'monitoring-crds',
    cwd: tmpdir(),
    hashFiles: [],
    key: [`${MODULE}@${PROMETHEUS_OPERATOR_VERSION}`],
    entry: 'directory',
    missingGo: 'fetching the Prometheus Operator CRDs needs Go >= 1.24 on PATH (https://go.dev/dl/)',
    complete: (path) => existsSync(file(path)),
    build: async ({ partial }) => {
      log(`fetching the CRDs of ${MODULE}@${PROMETHEUS_OPERATOR_VERSION}`);
      const module = await goModuleDir(MODULE, PROMETHEUS_OPERATOR_VERSION);
      const crd = async (name: string) =>
        parse(
          await readFile(join(module, 'example/prometheus-operator-crd', `monitoring.coreos.com_${name}.yaml`), 'utf8'),
        );
      const podMonitors: Crd = await crd('podmonitors');
      const azure: Crd = {
        ...podMonitors,
        metadata: { name: 'podmonitors.azmonitoring.coreos.com' },
        spec: { ...podMonitors.spec, group: 'azmonitoring.coreos.com' },
      };
      await writeFile(file(partial), JSON.stringify([podMonitors, await crd('prometheusrules'), azure]));
    },
  });
  return JSON.parse(await readFile(file(dir), 'utf8'));
}
