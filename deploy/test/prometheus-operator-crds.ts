import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { cacheDir, goModuleDir } from './go-module.ts';

/** The Prometheus Operator release whose CRDs the monitoring components are applied against. */
const VERSION = 'v0.85.0';
const MODULE = 'github.com/prometheus-operator/prometheus-operator';

/**
 * The CRD files the monitoring components need, from the Go module proxy (cached in
 * ~/.cache/kubeonazure/gomod): the Prometheus Operator's PodMonitor and PrometheusRule, and
 * AKS managed Prometheus's PodMonitor. Azure publishes no azmonitoring.coreos.com CRD to a
 * registry; the ama-metrics one is the coreos schema under Azure's group, so it is made from the
 * coreos CRD with the group renamed.
 */
export function prometheusOperatorCrds(): string[] {
  const crdDir = `${goModuleDir(MODULE, VERSION)}/example/prometheus-operator-crd/`;
  const podMonitors = `${crdDir}monitoring.coreos.com_podmonitors.yaml`;

  const crd = parse(readFileSync(podMonitors, 'utf8'));
  crd.metadata = { name: 'podmonitors.azmonitoring.coreos.com' };
  crd.spec.group = 'azmonitoring.coreos.com';
  const azureDir = `${cacheDir}azmonitoring-crds-${VERSION}/`;
  mkdirSync(azureDir, { recursive: true });
  writeFileSync(`${azureDir}azmonitoring.coreos.com_podmonitors.yaml`, stringify(crd));
  return [
    podMonitors,
    `${crdDir}monitoring.coreos.com_prometheusrules.yaml`,
    `${azureDir}azmonitoring.coreos.com_podmonitors.yaml`,
  ];
}
