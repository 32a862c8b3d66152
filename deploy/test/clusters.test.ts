import { ensureCertManager } from '@kubeonazure/cert-manager';
import { installCrds } from '@kubeonazure/cert-manager/testing';
import { useClusters } from '@kubeonazure/clusters/testing';
import { REGIONS } from '@kubeonazure/regions';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { k8sDir, kubectlIn, releasedCopy, render, selectorString, type LabelSelector } from './support.ts';

// Every overlay against a real API server of its own region (tools/clusters): server-side apply
// and field validation, defaulting and the Pod Security admission, none of which an offline
// schema check sees.
const clusters = useClusters();
/** The kit's kubectl in one region's context. */
const kubectl = (region: string, ...args: string[]) => kubectlIn(clusters(), region, ...args);

/** The generation of every object of the overlay that has one: it moves only when a spec changes. */
async function generations(region: string, overlay: string): Promise<string[]> {
  const live = await kubectl(region, 'get', '-k', overlay, '-o', 'json');
  expect(live.stderr).toBe('');
  const items = (
    JSON.parse(live.stdout) as { items: { kind: string; metadata: { name: string; generation?: number } }[] }
  ).items;
  return items.map((item) => `${item.kind}/${item.metadata.name}@${item.metadata.generation ?? '-'}`);
}

// The overlays with a release pinned (main's own may pin none: that case is the first test).
const dir = mkdtempSync(join(tmpdir(), 'deploy-clusters-'));
const released = releasedCopy(dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Whether the committed release component pins a release: its version label is one an API server accepts. */
const VERSION =
  render(`${k8sDir}overlays/${REGIONS[0]!.name}`)[0]!.metadata.labels?.['app.kubernetes.io/version'] ?? '';
const pinned = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(VERSION);

describe('the overlays as committed', () => {
  const region = REGIONS[0]!.name;
  const dryRun = () =>
    kubectl(region, 'apply', '--server-side', '--dry-run=server', '-k', `${k8sDir}overlays/${region}`);

  it.runIf(!pinned)(
    'pin no release, so the API server refuses every object: nothing old runs under new manifests',
    async () => {
      const refused = await dryRun();
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/metadata.labels: Invalid value: "unreleased: run npx globe release"/);
      expect(
        (await kubectl(region, 'get', 'namespace', 'kubeonazure', '--ignore-not-found', '-o', 'name')).stdout,
      ).toBe('');
    },
  );

  it.runIf(pinned)('pin a release whose objects the API server accepts', async () => {
    const accepted = await dryRun();
    expect(accepted.stderr).not.toMatch(/Invalid value/);
  });
});

describe.each(REGIONS)('overlays/$name, with a release pinned, in its own cluster', ({ name: region }) => {
  const overlay = `${released}overlays/${region}`;

  it("passes --dry-run=server once cert-manager's CRDs and its Namespace exist, then applies server-side and every Deployment rolls out", async () => {
    // The facts that order a first apply: cert-manager's kinds (components/tls) are unknown before its
    // CRDs are installed, and nothing namespaced validates before the namespace exists.
    const bare = await kubectl(region, 'apply', '--server-side', '--dry-run=server', '-k', overlay);
    expect(bare.code).not.toBe(0);
    expect(bare.stderr).toMatch(/no matches for kind "Certificate" in version "cert-manager.io\/v1"/);

    await installCrds(clusters(), (await ensureCertManager()).crds, `kubeonazure-${region}`);
    const early = await kubectl(region, 'apply', '--server-side', '--dry-run=server', '-k', overlay);
    expect(early.code).not.toBe(0);
    expect(early.stderr).toMatch(/namespaces "kubeonazure" not found/);

    const namespace = await kubectl(region, 'apply', '--server-side', '-f', `${released}base/namespace.yaml`);
    expect(namespace.stderr).toBe('');
    const dryRun = await kubectl(region, 'apply', '--server-side', '--dry-run=server', '-k', overlay);
    expect(dryRun.stderr).toBe('');
    expect(dryRun.code).toBe(0);

    const apply = await kubectl(region, 'apply', '--server-side', '-k', overlay);
    expect(apply.stderr).toBe('');
    expect(apply.code).toBe(0);
    expect(apply.stdout).toContain('deployment.apps/frontend serverside-applied');
    expect(apply.stdout).toContain('certificate.cert-manager.io/frontend serverside-applied');
    expect(apply.stdout).toContain('clusterissuer.cert-manager.io/letsencrypt serverside-applied');

    // Pod Security admitted every pod the ReplicaSets made: kwok only makes existing pods Ready.
    // Every region runs the streamer (only the ingest lease holder streams).
    for (const deployment of ['frontend', 'streamer']) {
      const rollout = await kubectl(
        region,
        '--namespace',
        'kubeonazure',
        'rollout',
        'status',
        `deployment/${deployment}`,
        '--timeout=60s',
      );
      expect(rollout.stdout).toContain('successfully rolled out');
    }
    const refused = await kubectl(
      region,
      '--namespace',
      'kubeonazure',
      'get',
      'events',
      '--field-selector',
      'reason=FailedCreate',
      '-o',
      'name',
    );
    expect(refused.stdout).toBe('');
  });

  it('enforces Pod Security "restricted" there: a pod without runAsNonRoot is rejected by the same cluster', async () => {
    // Admission asks for the namespace's service account first; the controller-manager makes it.
    await vi.waitFor(async () =>
      expect((await kubectl(region, '--namespace', 'kubeonazure', 'get', 'serviceaccount', 'default')).code).toBe(0),
    );
    const pod = await kubectl(
      region,
      '--namespace',
      'kubeonazure',
      'run',
      'root-pod',
      '--image=example.invalid/any:1',
      '--restart=Never',
      '--dry-run=server',
    );
    expect(pod.code).not.toBe(0);
    expect(pod.stderr).toMatch(/violates PodSecurity "restricted:latest"/);
    expect(pod.stderr).toMatch(/runAsNonRoot != true/);
  });

  it('selects with every NetworkPolicy exactly the live pods it is meant for', async () => {
    const live = await kubectl(region, '--namespace', 'kubeonazure', 'get', 'networkpolicies', '-o', 'json');
    const policies = (
      JSON.parse(live.stdout) as { items: { metadata: { name: string }; spec: { podSelector: LabelSelector } }[] }
    ).items;
    /** The apps (app.kubernetes.io/name) of the live pods a selector picks. */
    const appsSelected = async (selector: LabelSelector) => {
      const pods = await kubectl(
        region,
        '--namespace',
        'kubeonazure',
        'get',
        'pods',
        '-l',
        selectorString(selector),
        '-o',
        'json',
      );
      expect(pods.stderr).toBe('');
      const items = (JSON.parse(pods.stdout) as { items: { metadata: { labels: Record<string, string> } }[] }).items;
      return [...new Set(items.map((pod) => pod.metadata.labels['app.kubernetes.io/name']))].sort();
    };
    const selected = Object.fromEntries(
      await Promise.all(
        policies.map(async (policy) => [policy.metadata.name, await appsSelected(policy.spec.podSelector)]),
      ),
    );
    expect(selected).toEqual({
      'default-deny-ingress': ['frontend', 'streamer'],
      'frontend-http': ['frontend'],
      'default-deny-egress': ['frontend', 'streamer'],
      'dns-egress': ['frontend', 'streamer'],
      'database-egress': ['frontend', 'streamer'],
      'streamer-x-api-egress': ['streamer'],
      'ops-from-ama-metrics': ['frontend', 'streamer'],
    });
  });

  it('a second apply is a no-op: no drift from defaulting, no spec changed', async () => {
    const before = await generations(region, overlay);
    const again = await kubectl(region, 'apply', '--server-side', '-k', overlay);
    expect(again.code).toBe(0);
    // kubectl diff exits 0 only when the server's dry-run of the apply equals the live objects.
    const diff = await kubectl(region, 'diff', '--server-side', '-k', overlay);
    expect(diff.stdout).toBe('');
    expect(diff.code).toBe(0);
    expect(await generations(region, overlay)).toEqual(before);
  });
});
