import { useCertManagerCrds } from '@kubeonazure/cert-manager/testing';
import { useClusters } from '@kubeonazure/clusters/testing';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { REGION_NAMES } from '@kubeonazure/regions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Release } from '../src/release.ts';
import { startHealthz } from './healthz-server.ts';
import { RegionProcesses } from './region-processes.ts';
import { ReleaseRepo } from './release-repo.ts';
import { liveObject, runGlobe } from './run-globe.ts';
import { TrafficManagerStandIn } from './traffic-manager.ts';

// The rollback rehearsal: releases rolled out to one real API server per region (tools/clusters),
// each region's /healthz answered by a real frontend running what its live Deployment says, beside a
// real streamer per region with the ingest lease, all on the development database.
const clusters = useClusters();
// The overlays list deploy/k8s/components/tls, whose kinds are cert-manager's.
useCertManagerCrds(() => clusters());
/** kubectl rollout status's wait: kwok makes pods Ready slowly on a loaded machine. */
const TIMEOUT = '180s';
const repo = new ReleaseRepo();
const [write, ...reads] = REGION_NAMES as [string, ...string[]];
const regions = new Map<string, RegionProcesses>();
/** Releases by made-up digests: kwok's nodes pull no image; the frontends run from apps/frontend/dist. */
const pin = (n: number) =>
  repo.pin('kubeonazure.azurecr.io', {
    frontend: `sha256:${String(n).repeat(64)}`,
    streamer: `sha256:${String(n + 1).repeat(64)}`,
  });
let first: Release;

interface LiveDeployment {
  metadata: { name: string; labels: Record<string, string> };
  spec: { template: { spec: { containers: { image: string }[] } } };
}
/** The version label and images each region's Deployments carry now. */
async function running(region: string): Promise<string[]> {
  const { items } = await liveObject<{ items: LiveDeployment[] }>(clusters(), region, 'deployments');
  return items.map(
    (item) =>
      `${item.metadata.name} ${item.metadata.labels['app.kubernetes.io/version']} ${item.spec.template.spec.containers[0]?.image}`,
  );
}
const runs = (release: Release) => [
  `frontend ${release.version} ${release.images.frontend}`,
  `streamer ${release.version} ${release.images.streamer}`,
];

/** The bake's gates: each region's /healthz and streamer through the processes standing in for its pods. */
const gates = () => [
  ...REGION_NAMES.flatMap((region) => [
    '--healthz-url',
    `${region}=${regions.get(region)?.healthzUrl}`,
    '--streamer-url',
    `${region}=${regions.get(region)?.streamerUrl}`,
  ]),
  '--max-post-age',
  '600',
  '--timeout',
  TIMEOUT,
];

beforeAll(async () => {
  first = pin(1);
  const rollout = await runGlobe(['rollout', '--config', repo.config, '--timeout', TIMEOUT], { clusters: clusters() });
  if (rollout.code !== 0) throw new Error(`first rollout failed: ${rollout.stdout}${rollout.stderr}`);
  const env = { MONGO_URL: testMongoUrl(), MONGO_DB: `globe-bake-${process.pid}` };
  for (const region of REGION_NAMES) {
    const processes = new RegionProcesses(clusters(), region, env);
    regions.set(region, processes);
    await processes.start();
  }
  // Every region serves the posts the lease holder replays.
  await vi.waitFor(
    async () => {
      for (const processes of regions.values()) {
        const body = (await (await fetch(processes.healthzUrl)).json()) as { newestTweetAgeSeconds: number | null };
        expect(body.newestTweetAgeSeconds).not.toBeNull();
      }
    },
    { timeout: 90_000, interval: 500 },
  );
}, 600_000);
afterAll(async () => {
  await Promise.all([...regions.values()].map((processes) => processes.stop()));
  repo.remove();
});

describe('globe rollout --bake', () => {
  let good: Release;

  it('bakes a good release in every region and passes', async () => {
    repo.change('base/kustomization.yaml', (text) => text.replace('LOG_LEVEL=info', 'LOG_LEVEL=warn'));
    good = pin(3);
    const globe = await runGlobe(['rollout', '--config', repo.config, '--bake', '6', ...gates()], {
      clusters: clusters(),
    });
    expect(globe.stderr).toBe('');
    expect(globe.code).toBe(0);
    for (const region of REGION_NAMES) {
      expect(globe.stdout).toMatch(new RegExp(`\\[${region}\\] baked: healthy at each of \\d+ looks`));
      expect(globe.stdout).toMatch(
        new RegExp(`rollout of ${good.version}:[^]*\\n {2}${region} +applied, every Deployment ready, baked\\n`),
      );
      expect(globe.stdout).toMatch(new RegExp(`now running:[^]*\\n {2}${region} +${good.version} \\(`));
      expect(await running(region)).toEqual(runs(good));
    }
    // Each frontend really moved to the new settings (a new ConfigMap), and nothing went back.
    for (const processes of regions.values()) expect(processes.configMaps).toHaveLength(2);
  }, 600_000);

  it('fails a bad release in its bake, rolls that region back to what it ran, and stops', async () => {
    // A release whose frontends read an empty collection: ready, answering 200, but showing no post.
    repo.change('base/kustomization.yaml', (text) => text.replace('MONGO_COLLECTION=tweets', 'MONGO_COLLECTION=twets'));
    const bad = pin(5);
    const globe = await runGlobe(['rollout', '--config', repo.config, '--bake', '15', ...gates()], {
      clusters: clusters(),
    });
    expect(globe.code).toBe(1);
    expect(globe.stdout).toMatch(
      new RegExp(
        `rollout of ${bad.version}:\\n {2}${write} +FAILED: bake failed: http://127\\.0\\.0\\.1:\\d+/healthz reports no post at all; rolled back to ${good.version}\\n`,
      ),
    );
    for (const region of reads) expect(globe.stdout).toMatch(new RegExp(`\\n {2}${region} +not attempted\\n`));
    for (const region of REGION_NAMES) {
      expect(globe.stdout).toMatch(new RegExp(`now running:[^]*\\n {2}${region} +${good.version} \\(`));
      expect(await running(region)).toEqual(runs(good));
    }
    // The write region's frontend ran the bad settings, then the good ones again.
    const configMaps = regions.get(write)?.configMaps ?? [];
    await vi.waitFor(() => expect(configMaps).toHaveLength(4), { timeout: 60_000, interval: 200 });
    expect(configMaps[3]).toBe(configMaps[1]);
    expect(
      globe.calls.some((call) => call.args.includes(`kubeonazure-${reads[0]}`) && call.args.includes('apply')),
    ).toBe(false);
  }, 600_000);

  it('rolls a drained region out without baking it: its failing /healthz does not fail the rollout', async () => {
    // The drained region is read from Traffic Manager (the real az against the stand-in), as status reads it.
    const tm = await TrafficManagerStandIn.start();
    const [drained, ...inRotation] = reads as [string, ...string[]];
    tm.setStatus(drained, 'Disabled');
    // Taken out because it is unhealthy: its /healthz answers 503.
    const unhealthy = await startHealthz(503, { status: 'unavailable' });
    try {
      // The good settings again (after the bad release), and a change of its own.
      repo.change('base/kustomization.yaml', (text) =>
        text.replace('MONGO_COLLECTION=twets', 'MONGO_COLLECTION=tweets').replace(/LOG_LEVEL=\w+/, 'LOG_LEVEL=error'),
      );
      const next = pin(7);
      const args = gates().map((arg) =>
        arg.startsWith(`${drained}=http`) && arg.endsWith('/healthz') ? `${drained}=${unhealthy.url}` : arg,
      );
      const globe = await runGlobe(['rollout', '--config', repo.config, '--bake', '6', ...args], {
        clusters: clusters(),
        az: tm.az,
      });
      expect(globe.stderr).toBe('');
      expect(globe.code, globe.stdout).toBe(0);
      expect(unhealthy.requests()).toBe(0);
      expect(globe.stdout).toMatch(
        new RegExp(
          `rollout of ${next.version}:[^]*\\n {2}${drained} +applied, every Deployment ready, not baked: drained\\n`,
        ),
      );
      for (const region of [write, ...inRotation]) {
        expect(globe.stdout).toMatch(
          new RegExp(`rollout of ${next.version}:[^]*\\n {2}${region} +applied, every Deployment ready, baked\\n`),
        );
      }
      // Still rolled out and ready everywhere, the drained region too.
      for (const region of REGION_NAMES) {
        expect(globe.stdout).toMatch(
          new RegExp(
            `now running:[^]*\\n {2}${region} +${next.version} \\(frontend (\\d+)/\\1 ready, streamer (\\d+)/\\2 ready\\)`,
          ),
        );
        expect(await running(region)).toEqual(runs(next));
      }
    } finally {
      await unhealthy.close();
      await tm.close();
    }
  }, 600_000);
});

describe('globe rollback', () => {
  it('goes back to the release before the pinned one, or to the one named, and says what each region runs', async () => {
    const previous = await runGlobe(['rollback', '--config', repo.config, '--timeout', TIMEOUT], {
      clusters: clusters(),
    });
    expect(previous.stderr).toBe('');
    expect(previous.code, previous.stdout).toBe(0);
    const good = (await running(write))[0]?.split(' ')[1];
    expect(previous.stdout).toContain(`rollback to ${good}:`);

    const named = await runGlobe(['rollback', '--config', repo.config, '--to', first.version, '--timeout', TIMEOUT], {
      clusters: clusters(),
    });
    expect(named.stderr).toBe('');
    expect(named.code, named.stdout).toBe(0);
    expect(named.stdout).toContain(`rolling back to release ${first.version}`);
    for (const region of REGION_NAMES) {
      expect(named.stdout).toMatch(new RegExp(`now running:[^]*\\n {2}${region} +${first.version} \\(`));
      expect(await running(region)).toEqual(runs(first));
    }
    const unknown = await runGlobe(['rollback', '--config', repo.config, '--to', 'f00f00f'], { clusters: clusters() });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^globe: f00f00f is no release of this checkout \(releases: /);
  }, 600_000);
});
