import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useClusters } from '@kubeonazure/clusters/testing';
import { WRITE_REGION } from '@kubeonazure/regions';
import { goModuleDir } from '@kubeonazure/tool-kit';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { kubectlIn, repoRoot } from './support.ts';

// The AppProject and the ApplicationSet against a real API server with Argo CD's own CRDs (from its
// Go module, the release below): server-side apply with strict field validation checks every field
// against the CRDs' schemas. The controllers do not run here; what the project lets through is
// checked on the rendered kinds in gitops.test.ts.
const ARGO_CD = { module: 'github.com/argoproj/argo-cd/v3', version: 'v3.5.7' };
const region = WRITE_REGION.name;
const clusters = useClusters([region]);
const kubectl = (...args: string[]) => kubectlIn(clusters(), region, ...args);
const scratch = mkdtempSync(join(tmpdir(), 'deploy-gitops-clusters-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('deploy/gitops in a cluster with the Argo CD CRDs', () => {
  it('installs the CRDs', async () => {
    const crds = `${await goModuleDir(ARGO_CD.module, ARGO_CD.version)}/manifests/crds/`;
    const files = ['appproject-crd.yaml', 'applicationset-crd.yaml', 'application-crd.yaml'];
    const apply = await kubectl('apply', '--server-side', ...files.flatMap((file) => ['-f', `${crds}${file}`]));
    expect(apply.stderr).toBe('');
    // Until the API server has set the conditions, kubectl wait fails at once instead of waiting.
    await vi.waitFor(
      async () => {
        const established = await kubectl(
          'wait',
          '--for=condition=Established',
          '--timeout=10s',
          'crd/appprojects.argoproj.io',
          'crd/applicationsets.argoproj.io',
        );
        expect(established).toMatchObject({ code: 0, stderr: '' });
      },
      { timeout: 60_000, interval: 500 },
    );
  });

  it('applies the AppProject and the ApplicationSet server-side with strict validation, and again with no change', async () => {
    expect((await kubectl('create', 'namespace', 'argocd')).code).toBe(0);
    const files = ['appproject.yaml', 'applicationset.yaml'].flatMap((file) => [
      '-f',
      `${repoRoot}deploy/gitops/${file}`,
    ]);
    const apply = await kubectl('apply', '--server-side', '--validate=strict', ...files);
    expect(apply.stderr).toBe('');
    expect(apply.stdout).toContain('appproject.argoproj.io/kubeonazure serverside-applied');
    expect(apply.stdout).toContain('applicationset.argoproj.io/kubeonazure serverside-applied');
    const diff = await kubectl('diff', '--server-side', ...files);
    expect(diff.stdout).toBe('');
    expect(diff.code).toBe(0);
  });

  it('validates against the schema: a misspelt whitelist field is refused', async () => {
    const file = join(scratch, 'bad-project.yaml');
    writeFileSync(
      file,
      'apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: bad, namespace: argocd}\nspec:\n  namespaceResourceWhitelist: [{group: "", kinds: ConfigMap}]\n',
    );
    const refused = await kubectl('apply', '--server-side', '--validate=strict', '--dry-run=server', '-f', file);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/namespaceResourceWhitelist\[0\]\.kinds: field not declared in schema/);
  });
});
