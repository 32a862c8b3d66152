import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { REGION_NAMES, REGIONS_FILE, WRITE_REGION } from '@kubeonazure/regions';
import { ApplicationSet, AppProject } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  k8sDir,
  readRecords,
  readYaml,
  render as renderKustomize,
  renderGoTemplate as render,
  renderOverlay,
  repoRoot,
} from './support.ts';

const applicationSet = parse(readFileSync(`${repoRoot}deploy/gitops/applicationset.yaml`, 'utf8'));
const appProject = readYaml(`${repoRoot}deploy/gitops/appproject.yaml`);
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

const scratch = mkdtempSync(join(tmpdir(), 'deploy-gitops-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The write region's overlay with every optional component (those it does not list already) on top. */
function overlayWithEveryComponent(): string {
  const overlay = `${k8sDir}overlays/${WRITE_REGION.name}`;
  const listed: string[] = readYaml(`${overlay}/kustomization.yaml`).components ?? [];
  const components = readdirSync(`${k8sDir}components`, { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('kustomization.yaml'))
    .map((path) => `${k8sDir}components/${path.replace(/\/?kustomization\.yaml$/, '')}`)
    .filter((dir) => !listed.some((component) => join(overlay, component) === dir));
  const dir = mkdtempSync(join(scratch, 'kustomize-'));
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    `resources: [${relative(dir, overlay)}]\ncomponents: [${components.map((c) => relative(dir, c)).join(', ')}]\n`,
  );
  return dir;
}

interface GroupKind {
  group: string;
  kind: string;
}
const groupKind = (object: { apiVersion: string; kind: string }) =>
  `${object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : ''}/${object.kind}`;
const listed = (kinds: GroupKind[]) => kinds.map(({ group, kind }) => `${group}/${kind}`).sort();

describe('the Argo CD AppProject', () => {
  it("validates against Argo CD's published AppProject schema, and the ApplicationSet uses it", () => {
    expect(() => new AppProject(appProject).validate()).not.toThrow();
    expect(applicationSet.spec.template.spec.project).toBe(appProject.metadata.name);
    expect(appProject.metadata.namespace).toBe(applicationSet.metadata.namespace);
  });

  it("takes manifests from the ApplicationSet's repository only, for our namespace in the regions' clusters only", () => {
    expect(appProject.spec.sourceRepos).toEqual([applicationSet.spec.template.spec.source.repoURL]);
    expect(appProject.spec.destinations).toEqual([
      { name: `${globeConfig.contextPrefix}-*`, namespace: applicationSet.spec.template.spec.destination.namespace },
    ]);
    // Every region's Application lands inside it (Argo CD matches destination names as globs).
    for (const record of records)
      expect(render(applicationSet.spec.template.spec.destination.name, record)).toMatch(/^kubeonazure-[a-z0-9]+$/);
  });

  it('allows exactly the kinds the overlays and their optional components render, cluster-scoped ones apart', () => {
    const objects = [...REGION_NAMES.flatMap(renderOverlay), ...renderKustomize(overlayWithEveryComponent())];
    // Scope by Kubernetes' naming (kustomize sets the namespace on every object, so the render cannot
    // tell): Namespace and the Cluster* kinds are cluster-scoped.
    const isClusterScoped = (o: { kind: string }) => o.kind === 'Namespace' || o.kind.startsWith('Cluster');
    const namespaced = new Set(objects.filter((o) => !isClusterScoped(o)).map(groupKind));
    const clusterScoped = new Set(objects.filter(isClusterScoped).map(groupKind));
    expect(listed(appProject.spec.namespaceResourceWhitelist)).toEqual([...namespaced].sort());
    expect(listed(appProject.spec.clusterResourceWhitelist)).toEqual([...clusterScoped].sort());
    // The components are really in: their kinds are among those rendered.
    expect(namespaced).toContain('cert-manager.io/Certificate');
    expect(namespaced).toContain('azmonitoring.coreos.com/PodMonitor');
    expect(clusterScoped).toContain('cert-manager.io/ClusterIssuer');
    // Nothing that grants rights or holds secrets.
    for (const kind of ['/Secret', 'rbac.authorization.k8s.io/Role', 'rbac.authorization.k8s.io/ClusterRole'])
      expect([...namespaced, ...clusterScoped]).not.toContain(kind);
  });
});
