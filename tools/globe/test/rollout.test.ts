import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE } from '@kubeonazure/clusters';
import { useCertManagerCrds } from '@kubeonazure/cert-manager/testing';
import { useClusters } from '@kubeonazure/clusters/testing';
import { REGION_NAMES } from '@kubeonazure/regions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startRegistry } from '@kubeonazure/images/engine';
import { pushRelease, useRegistry } from './registry.ts';
import { ReleaseRepo } from './release-repo.ts';
import { azDir, contextOf, liveObject, runGlobe } from './run-globe.ts';
import { writeHtpasswd } from './token-service.ts';

// Against one real API server per region (tools/clusters); kwok makes scheduled pods Ready. The
// images are in a real registry (tools/images' docker-registry on 127.0.0.1).
const clusters = useClusters();
// The overlays list deploy/k8s/components/tls, whose kinds are cert-manager's.
useCertManagerCrds(() => clusters());
const registry = useRegistry();
const env = () => ({ IMAGE_REGISTRY: registry().host });
/** Each tag's digests, as the registry answered the push. */
const pushed: Record<string, Record<string, string>> = {};
beforeAll(async () => {
  for (const tag of ['first1', 'dry2', 'third3']) pushed[tag] = await pushRelease(registry().host, tag);
});
const k8sDir = fileURLToPath(new URL('../../../deploy/k8s', import.meta.url));
// The write region, the first read region (whose rollout is made to fail), the one after it.
const [write, failing, untouched] = REGION_NAMES as [string, string, string, ...string[]];

interface LiveDeployment {
  metadata: { name: string; generation: number; labels: Record<string, string> };
  spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
  status: { readyReplicas?: number; updatedReplicas?: number; observedGeneration?: number };
}

async function liveDeployments(region: string): Promise<LiveDeployment[]> {
  return (await liveObject<{ items: LiveDeployment[] }>(clusters(), region, 'deployments')).items;
}
/** `name=image` of every live Deployment's containers in a region. */
const liveImages = async (region: string) =>
  (await liveDeployments(region)).flatMap((deployment) =>
    deployment.spec.template.spec.containers.map((container) => `${deployment.metadata.name}=${container.image}`),
  );
/** `<app>=<registry>/kubeonazure/<app>@<digest>`: the digest `tag` named when it was pushed. */
const pinnedTo = (name: string, tag: string) => `${name}=${registry().host}/kubeonazure/${name}@${pushed[tag]?.[name]}`;

/** A copy of deploy/k8s whose `failing` frontend asks for more CPU than the fake node has: its rollout cannot complete. */
function overlaysWithUnschedulableFrontend(): { dir: string; config: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'globe-overlays-'));
  cpSync(k8sDir, path.join(dir, 'k8s'), { recursive: true });
  const kustomization = path.join(dir, `k8s/overlays/${failing}/kustomization.yaml`);
  const overlay = parse(readFileSync(kustomization, 'utf8'));
  overlay.patches = [
    ...(overlay.patches ?? []),
    {
      target: { kind: 'Deployment', name: 'frontend' },
      // The limit too: the API server rejects a request above the limit.
      patch: stringify(
        ['requests', 'limits'].map((kind) => ({
          op: 'replace',
          path: `/spec/template/spec/containers/0/resources/${kind}/cpu`,
          value: `${Number(NODE.cpu) * 2}`,
        })),
      ),
    },
  ];
  writeFileSync(kustomization, stringify(overlay));
  const shipped = JSON.parse(readFileSync(new URL('../globe.config.json', import.meta.url), 'utf8'));
  const config = path.join(dir, 'globe.config.json');
  writeFileSync(config, JSON.stringify({ ...shipped, overlays: 'k8s/overlays', release: 'k8s/release' }));
  return { dir, config };
}
const unschedulable = overlaysWithUnschedulableFrontend();
afterAll(() => rmSync(unschedulable.dir, { recursive: true, force: true }));

describe('globe rollout', () => {
  it('rolls out a tag resolved to digests, the write region first, every Deployment really ready with the release pinned', async () => {
    const globe = await runGlobe(['rollout', '--tag', 'first1', '--allow-stale', '--timeout', '60s'], {
      clusters: clusters(),
      env: env(),
    });
    expect(globe.stderr).toBe('');
    expect(globe.code).toBe(0);
    const applies = globe.calls.filter((call) => call.args.includes('apply')).map(contextOf);
    expect(applies).toEqual(REGION_NAMES.map((region) => `kubeonazure-${region}`));
    expect(globe.stdout).toMatch(new RegExp(`${REGION_NAMES.at(-1)} +applied, every Deployment ready`));
    // What each region runs, read back from the servers after the rollout.
    for (const region of REGION_NAMES)
      expect(globe.stdout).toMatch(
        new RegExp(`now running:[^]*\n {2}${region} +first1 \\(frontend \\d/\\d ready, streamer 1/1 ready\\)`),
      );
    for (const region of REGION_NAMES) {
      for (const deployment of await liveDeployments(region))
        expect(deployment.metadata.labels['app.kubernetes.io/version']).toBe('first1');
    }

    // Every region runs a frontend and a streamer (only the ingest lease holder streams).
    for (const region of REGION_NAMES)
      expect(await liveImages(region)).toEqual([pinnedTo('frontend', 'first1'), pinnedTo('streamer', 'first1')]);
    for (const region of REGION_NAMES) {
      for (const deployment of await liveDeployments(region)) {
        expect(deployment.status.readyReplicas, `${region} ${deployment.metadata.name}`).toBeGreaterThanOrEqual(1);
        expect(deployment.status.updatedReplicas).toBe(deployment.status.readyReplicas);
      }
    }
  });

  it('--dry-run prints every kubectl command and changes nothing on the servers', async () => {
    const selected = [write, failing];
    const before = await Promise.all(selected.map(liveDeployments));
    const globe = await runGlobe(
      ['rollout', '--tag', 'dry2', '--allow-stale', '--dry-run', '--regions', selected.join(',')],
      { clusters: clusters(), env: env() },
    );
    expect(globe.code).toBe(0);
    expect(globe.stdout.split('\n').filter((line) => line.startsWith('$ '))).toEqual([
      '$ kubectl config get-contexts -o name',
      ...selected.flatMap((region) => [
        `$ kubectl kustomize ${k8sDir}/overlays/${region}`,
        expect.stringMatching(new RegExp(`^\\$ kubectl kustomize \\S+\\/globe-rollout-\\w+\\/${region}$`)),
      ]),
      ...selected.flatMap((region) => [
        expect.stringMatching(
          new RegExp(
            `^\\$ kubectl --context kubeonazure-${region} apply -f - {2}< overlay ${region} with .*frontend@${pushed.dry2?.frontend}`,
          ),
        ),
        ...['frontend', 'streamer'].map(
          (app) =>
            `$ kubectl --context kubeonazure-${region} --namespace kubeonazure rollout status deployment/${app} --timeout=5m`,
        ),
      ]),
    ]);
    expect(globe.stdout).toContain('dry run: nothing was applied');
    expect(globe.calls.filter((call) => contextOf(call) !== undefined)).toEqual([]);
    const generations = (list: LiveDeployment[][]) =>
      list.map((items) => items.map((item) => `${item.metadata.name}@${item.metadata.generation}`));
    expect(generations(await Promise.all(selected.map(liveDeployments)))).toEqual(generations(before));
  });

  it('stops at a region whose rollout cannot complete, leaves the next region untouched, and exits 1', async () => {
    const globe = await runGlobe(
      ['rollout', '--config', unschedulable.config, '--tag', 'third3', '--allow-stale', '--timeout', '8s'],
      { clusters: clusters(), env: env() },
    );
    expect(globe.code).toBe(1);
    expect(globe.stdout).toContain('rollout of third3:\n');
    expect(globe.stdout).toMatch(new RegExp(` {2}${write} +applied, every Deployment ready\n`));
    expect(globe.stdout).toMatch(
      new RegExp(
        ` {2}${failing} +FAILED: kubectl --context kubeonazure-${failing} --namespace kubeonazure rollout status deployment\\/frontend --timeout=8s failed: error: timed out waiting for the condition\n`,
      ),
    );
    expect(globe.stdout).toMatch(new RegExp(` {2}${untouched} +not attempted\n`));
    // The untouched region is only read, for the summary of what each region runs now.
    const touched = globe.calls.filter((call) => contextOf(call) === `kubeonazure-${untouched}`);
    expect(touched.map((call) => call.args.slice(2, 6).join(' '))).toEqual(['--namespace kubeonazure get deployments']);
    expect(globe.stdout).toMatch(new RegExp(`now running:[^]*\\n {2}${untouched} +first1 `));

    // The write region has the new release; the region after the failed one keeps the last one.
    expect(await liveImages(write)).toEqual([pinnedTo('frontend', 'third3'), pinnedTo('streamer', 'third3')]);
    expect(await liveImages(untouched)).toEqual([pinnedTo('frontend', 'first1'), pinnedTo('streamer', 'first1')]);
  });

  it('resolves the tag before anything is applied: a tag the registry does not hold changes no region', async () => {
    const globe = await runGlobe(['rollout', '--tag', 'never9', '--allow-stale'], { clusters: clusters(), env: env() });
    expect(globe.code).toBe(2);
    expect(globe.stderr).toBe(`globe: ${registry().host}/kubeonazure/frontend:never9 is not in the registry\n`);
    expect(globe.calls.filter((call) => call.args.includes('apply'))).toEqual([]);
  });

  it('refuses a tag of unknown age without --allow-stale, and a tag without a registry to resolve it', async () => {
    const unknown = await runGlobe(['rollout', '--tag', 'first1'], { clusters: clusters(), env: env() });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /^globe: cannot tell whether release first1 is as new as the manifests: first1 names no commit of this checkout \(--allow-stale to roll it out anyway\)\n$/,
    );
    const noRegistry = await runGlobe(['rollout', '--tag', 'first1', '--allow-stale'], { clusters: clusters() });
    expect(noRegistry.code).toBe(2);
    expect(noRegistry.stderr).toBe(
      'globe: --tag needs the registry that resolves it: set IMAGE_REGISTRY or ACR_NAME\n',
    );
  });

  it('logs in to a registry that asks, with the Docker config’s login, and shows that login nowhere', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'globe-login-'));
    // Assembled at run time so that the repository's secret scan, rightly, finds no credential here.
    const password = ['login', 'Pa55', String(process.pid)].join('-');
    await writeHtpasswd(path.join(dir, 'htpasswd'), 'puller', password, path.join(azDir(), 'python'));
    const locked = await startRegistry(0, { htpasswd: { realm: 'globe test', path: path.join(dir, 'htpasswd') } });
    try {
      const basic = Buffer.from(`puller:${password}`).toString('base64');
      const digests = await pushRelease(locked.host, 'login4', () => `Basic ${basic}`);
      writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ auths: { [locked.host]: { auth: basic } } }));
      const args = ['rollout', '--tag', 'login4', '--allow-stale', '--dry-run', '--regions', write];
      const globe = await runGlobe(args, {
        clusters: clusters(),
        env: { IMAGE_REGISTRY: locked.host, DOCKER_CONFIG: dir },
      });
      expect(globe.stderr).toBe('');
      expect(globe.code).toBe(0);
      expect(globe.stdout).toContain(`${locked.host}/kubeonazure/frontend@${digests.frontend}`);
      const everything = JSON.stringify(globe);
      for (const secret of [password, basic]) expect(everything).not.toContain(secret);
      // Without the login: refused before anything is rendered or applied.
      const refused = await runGlobe(args, { clusters: clusters(), env: { IMAGE_REGISTRY: locked.host } });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(new RegExp(`^globe: registry ${locked.host} asks for a login, and there is none`));
    } finally {
      await locked.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses the placeholder the repository ships until a release is pinned', async () => {
    const globe = await runGlobe(['rollout'], { clusters: clusters() });
    expect(globe.code).toBe(2);
    expect(globe.stderr).toMatch(
      /^globe: \S+\/deploy\/k8s\/release\/kustomization.yaml pins no release: make one with globe release, or roll out --tag <tag>\n$/,
    );
  });
});

describe('globe rollout of the pinned release', () => {
  const repo = new ReleaseRepo();
  afterAll(() => repo.remove());

  it('rolls out the release pinned with the manifests of its commit, and refuses it once the manifests moved on', async () => {
    const release = repo.pin(
      registry().host,
      await pushRelease(registry().host, repo.git('rev-parse', '--short', 'HEAD')),
    );
    const fresh = await runGlobe(['rollout', '--config', repo.config, '--regions', write, '--timeout', '60s'], {
      clusters: clusters(),
    });
    expect(fresh.stderr).toBe('');
    expect(fresh.code).toBe(0);
    expect(await liveImages(write)).toEqual([
      `frontend=${release.images.frontend}`,
      `streamer=${release.images.streamer}`,
    ]);

    repo.change('base/kustomization.yaml', (text) => text.replace('LOG_LEVEL=info', 'LOG_LEVEL=debug'));
    const stale = await runGlobe(['rollout', '--config', repo.config, '--regions', write], { clusters: clusters() });
    expect(stale.code).toBe(2);
    expect(stale.stderr).toBe(
      `globe: release ${release.version} is older than the code it would ship (changed since: deploy/k8s/base/kustomization.yaml); make a new one with globe release, or --allow-stale\n`,
    );
    expect(stale.calls.filter((call) => call.args.includes('apply'))).toEqual([]);

    const allowed = await runGlobe(
      ['rollout', '--config', repo.config, '--regions', write, '--allow-stale', '--timeout', '60s'],
      {
        clusters: clusters(),
      },
    );
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain(
      `--allow-stale: not checking that release ${release.version} is as new as the manifests`,
    );
  });
});
