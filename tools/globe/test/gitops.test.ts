import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { REGIONS } from '@kubeonazure/regions';
import { ApplicationSet } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const applicationSet = parse(readFileSync(`${repoRoot}deploy/gitops/applicationset.yaml`, 'utf8'));
const config = JSON.parse(readFileSync(new URL('../globe.config.json', import.meta.url), 'utf8'));

/** The Go template the ApplicationSet controller evaluates, for one entry of the region list. */
function render(template: string, region: Record<string, string>): string {
  return template.replaceAll(/\{\{ \.(\w+) \}\}/g, (_, key: string) => {
    const value = region[key];
    if (value === undefined) throw new Error(`missing key ${key}`);
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

  it('makes one Application per entry of the one region list, from the same repository', () => {
    const [generator] = applicationSet.spec.generators;
    expect(generator.git.files).toEqual([{ path: 'libs/regions/regions.json' }]);
    expect(existsSync(`${repoRoot}libs/regions/regions.json`)).toBe(true);
    expect(generator.git.repoURL).toBe(applicationSet.spec.template.spec.source.repoURL);
    expect(generator.git.revision).toBe(applicationSet.spec.template.spec.source.targetRevision);
    expect(REGIONS.map((region) => render(applicationSet.spec.template.metadata.name, region))).toEqual(
      regions.map((name) => `kubeonazure-${name}`),
    );
  });

  it.each(REGIONS)(
    'points the $name Application at an existing overlay and its own cluster, in our namespace',
    (region) => {
      const { spec, metadata } = applicationSet.spec.template;
      const path = render(spec.source.path, region);
      expect(path).toBe(`deploy/k8s/overlays/${region.name}`);
      expect(existsSync(`${repoRoot}${path}/kustomization.yaml`)).toBe(true);
      // The cluster is registered under the kube context name globe uses.
      expect(render(spec.destination.name, region)).toBe(`kubeonazure-${region.name}`);
      expect(spec.destination.namespace).toBe(config.namespace);
      expect(render(metadata.labels['kubeonazure/region'], region)).toBe(region.name);
      expect(render(metadata.labels['kubeonazure/role'], region)).toBe(region.role);
    },
  );

  it('syncs the write region before the read regions', () => {
    expect(
      applicationSet.spec.strategy.rollingSync.steps.map(
        (step: { matchExpressions: unknown[] }) => step.matchExpressions,
      ),
    ).toEqual([
      [{ key: 'kubeonazure/role', operator: 'In', values: ['write'] }],
      [{ key: 'kubeonazure/role', operator: 'In', values: ['read'] }],
    ]);
  });
});
