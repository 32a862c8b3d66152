import { existsSync, readFileSync } from 'node:fs';
import { REGIONS_FILE } from '@kubeonazure/regions';
import { ApplicationSet } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readRecords, renderGoTemplate as render, repoRoot } from './support.ts';

const applicationSet = parse(readFileSync(`${repoRoot}deploy/gitops/applicationset.yaml`, 'utf8'));
const globeConfig = JSON.parse(readFileSync(`${repoRoot}tools/globe/globe.config.json`, 'utf8'));
const records = readRecords(REGIONS_FILE);

describe('the Argo CD ApplicationSet agrees with the CLI', () => {
  const names = records.map((record) => record.name);

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
    expect(records.map((record) => render(applicationSet.spec.template.metadata.name, record))).toEqual(
      names.map((name) => `kubeonazure-${name}`),
    );
  });

  it.each(records)(
    'points the $name Application at an existing overlay and its own cluster, in our namespace',
    (record) => {
      const { spec, metadata } = applicationSet.spec.template;
      const path = render(spec.source.path, record);
      expect(path).toBe(`deploy/k8s/overlays/${record.name}`);
      expect(existsSync(`${repoRoot}${path}/kustomization.yaml`)).toBe(true);
      // The cluster is registered under the kube context name globe uses.
      expect(render(spec.destination.name, record)).toBe(`${globeConfig.contextPrefix}-${record.name}`);
      expect(spec.destination.namespace).toBe(globeConfig.namespace);
      expect(render(metadata.labels['kubeonazure/region'], record)).toBe(record.name);
      expect(render(metadata.labels['kubeonazure/role'], record)).toBe(record.role);
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
