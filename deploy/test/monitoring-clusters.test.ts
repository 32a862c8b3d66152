import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { useCertManagerCrds } from '@kubeonazure/cert-manager/testing';
import { useClusters } from '@kubeonazure/clusters/testing';
import { WRITE_REGION } from '@kubeonazure/regions';
import { afterAll, describe, expect, it } from 'vitest';
import { kubectlIn, releasedCopy } from './support.ts';

// The monitoring components against a real API server with the CRDs installed (tools/clusters
// installs them in every local cluster): server-side apply validates every PodMonitor and
// PrometheusRule field against the CRDs' schemas.
const region = WRITE_REGION.name;
const clusters = useClusters([region]);
// Every overlay lists components/tls, whose kinds are cert-manager's.
useCertManagerCrds(() => clusters());
const scratch = mkdtempSync(join(tmpdir(), 'deploy-monitoring-clusters-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
// The overlays with a release pinned: until one is, the committed ones are refused by design.
const k8sDir = releasedCopy(scratch);

/** The kit's kubectl in the region's context. */
const kubectl = (...args: string[]) => kubectlIn(clusters(), region, ...args);

/** A kustomization of the write region's overlay (which lists the aks component) and the operator component. */
function withMonitoring(): string {
  const dir = mkdtempSync(join(scratch, 'kustomize-'));
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    `resources: [${relative(dir, `${k8sDir}overlays/${region}`)}]\ncomponents: [${relative(dir, `${k8sDir}components/monitoring/operator`)}]\n`,
  );
  return dir;
}

describe('components/monitoring in a cluster with the Prometheus Operator and AKS CRDs', () => {
  it('applies the overlay with both components server-side, and a second apply changes nothing', async () => {
    const dir = withMonitoring();
    expect((await kubectl('apply', '--server-side', '-f', `${k8sDir}base/namespace.yaml`)).code).toBe(0);
    const apply = await kubectl('apply', '--server-side', '-k', dir);
    expect(apply.stderr).toBe('');
    expect(apply.stdout).toContain('podmonitor.monitoring.coreos.com/kubeonazure serverside-applied');
    expect(apply.stdout).toContain('podmonitor.azmonitoring.coreos.com/kubeonazure serverside-applied');
    expect(apply.stdout).toContain('prometheusrule.monitoring.coreos.com/kubeonazure serverside-applied');
    expect(apply.stdout).toContain('networkpolicy.networking.k8s.io/ops-from-ama-metrics serverside-applied');
    const diff = await kubectl('diff', '--server-side', '-k', dir);
    expect(diff.stdout).toBe('');
    expect(diff.code).toBe(0);
  });

  it('validates against the schemas: an unknown PodMonitor field is refused', async () => {
    const file = join(scratch, 'bad-pod-monitor.yaml');
    writeFileSync(
      file,
      'apiVersion: azmonitoring.coreos.com/v1\nkind: PodMonitor\nmetadata: {name: bad, namespace: kubeonazure}\nspec:\n  selector: {}\n  podMetricsEndpoints: [{port: ops, scrapeEvery: 30s}]\n',
    );
    const refused = await kubectl('apply', '--server-side', '--dry-run=server', '-f', file);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/\.spec\.podMetricsEndpoints\[0\]\.scrapeEvery: field not declared in schema/);
  });
});
