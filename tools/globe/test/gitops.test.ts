import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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
  const regions: string[] = config.regions;

  it('selects clusters of exactly the configured regions', () => {
    expect(applicationSet.spec.generators[0].clusters.selector.matchExpressions).toEqual([
      { key: 'kubeonazure/region', operator: 'In', values: regions },
    ]);
  });

  it.each(config.regions as string[])('points the %s Application at an existing overlay, in its own namespace', (region) => {
    const labels = { 'kubeonazure/region': region, 'kubeonazure/role': region === config.writeRegion ? 'write' : 'read' };
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
