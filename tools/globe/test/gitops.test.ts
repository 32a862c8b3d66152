import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { REGIONS } from '@kubeonazure/regions';
import { ApplicationSet } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const applicationSet = parse(readFileSync(`${repoRoot}deploy/gitops/applicationset.yaml`, 'utf8'));
const config = JSON.parse(readFileSync(new URL('../globe.config.json', import.meta.url), 'utf8'));

/** The Go template the ApplicationSet controller evaluates, for one cluster secret's labels. */
function render(template: string, labels: Record<string, string>): string {
  return template.replaceAll(/\{\{ index \.metadata\.labels "([^"]+)" \}\}/g, (_, key: string) => {
    const value = labels[key];
    if (value === undefined) throw new Error(`missing label ${key}`);
    return value;
  });
}

describe('the Argo CD ApplicationSet agrees with the CLI', () => {
  const regions = REGIONS.map((region) => region.name);

  it("validates against Argo CD's published ApplicationSet schema", () => {
    expect(() => new ApplicationSet(applicationSet).validate()).not.toThrow();
    // The schema is not a rubber stamp: a wrong type fails it.
    const wrong = { ...applicationSet, spec: { ...applicationSet.spec, goTemplate: 'true' } };
    expect(() => new ApplicationSet(wrong).validate()).toThrow(/goTemplate/);
  });

  it('selects clusters of exactly the configured regions', () => {
    expect(applicationSet.spec.generators[0].clusters.selector.matchExpressions).toEqual([
      { key: 'kubeonazure/region', operator: 'In', values: regions },
    ]);
  });

  it.each(REGIONS)('points the $name Application at an existing overlay, in its own namespace', ({ name: region, role }) => {
    const labels = { 'kubeonazure/region': region, 'kubeonazure/role': role };
    const path = render(applicationSet.spec.template.spec.source.path, labels);
    expect(path).toBe(`deploy/k8s/overlays/${region}`);
    expect(existsSync(`${repoRoot}${path}/kustomization.yaml`)).toBe(true);
    expect(applicationSet.spec.template.spec.destination.namespace).toBe(config.namespace);
    expect(render(applicationSet.spec.template.metadata.labels['kubeonazure/role'], labels)).toBe(labels['kubeonazure/role']);
  });

  it('syncs the write region before the read regions', () => {
    expect(applicationSet.spec.strategy.rollingSync.steps.map((step: { matchExpressions: unknown[] }) => step.matchExpressions)).toEqual([
      [{ key: 'kubeonazure/role', operator: 'In', values: ['write'] }],
      [{ key: 'kubeonazure/role', operator: 'In', values: ['read'] }],
    ]);
  });
});
