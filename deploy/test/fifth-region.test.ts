// The fifth-region test: two regions added to a COPY of libs/regions/regions.json (records only: name,
// display name, role, city, visitor location, coordinates), and nothing else edited. Everything per
// region must follow: the generated overlays and apimodels, the ApplicationSet, the HAProxy plan of
// the simulation, the Azure scripts, and globe. (The page for a new region: apps/frontend's
// process test serves it from the same copy.)
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRegions, REGION_NAMES, regionFqdn } from '@kubeonazure/regions';
import { ADDED_REGIONS, regionsFileWith } from '@kubeonazure/regions/testing';
import { entryPlans, haproxyConfig, trafficManagerProbe } from '@kubeonazure/region-sim/traffic';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { writeGenerated } from '../scripts/generated.ts';
import { releaseComponent } from '@kubeonazure/globe/release';
import { TEST_RELEASE } from '@kubeonazure/globe/testing';
import { commandLines, k8sDir, readRecords, render, renderGoTemplate, repoRoot, run } from './support.ts';

const { dir, file } = regionsFileWith();
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const regions = readRegions(file);
const added = ADDED_REGIONS.map((record) => record.name);
const env = { REGIONS_FILE: file };

// A copy of deploy/ with the generator's output for the longer list written into it.
const deployCopy = join(dir, 'deploy');
cpSync(k8sDir, join(deployCopy, 'k8s'), { recursive: true });
cpSync(`${repoRoot}deploy/acs-engine`, join(deployCopy, 'acs-engine'), { recursive: true });
const generated = writeGenerated(deployCopy, regions);

it('lists every region, the added ones last; the generator writes all of them and removes nothing', () => {
  expect(regions.map((region) => region.name)).toEqual([...REGION_NAMES, ...added]);
  expect(generated.written).toHaveLength(2 * regions.length);
  expect(generated.removed).toEqual([]);
});

describe.each(added)('the added region %s', (name) => {
  const region = regions.find((candidate) => candidate.name === name)!;

  it('gets a thin overlay that renders its REGION, its DNS label and both apps', () => {
    const objects = render(join(deployCopy, 'k8s/overlays', name));
    const settings = objects.find(
      (object) => object.kind === 'ConfigMap' && object.metadata.name.startsWith('settings-'),
    );
    expect(settings?.data.REGION).toBe(name);
    const service = objects.find((object) => object.kind === 'Service')!;
    expect(service.metadata.annotations?.['service.beta.kubernetes.io/azure-dns-label-name']).toBe(
      `kubeonazure-${name}`,
    );
    expect(
      objects
        .filter((object) => object.kind === 'Deployment')
        .map((object) => object.metadata.name)
        .sort(),
    ).toEqual(['frontend', 'streamer']);
  });

  it('gets an acs-engine apimodel in its own location', () => {
    const model = JSON.parse(readFileSync(join(deployCopy, 'acs-engine', `${name}.json`), 'utf8'));
    expect(model.location).toBe(name);
    expect(model.properties.masterProfile.dnsPrefix).toBe(`kubeonazure-${name}`);
  });

  it('gets its Argo CD Application, on its overlay, in the read step', () => {
    const { template } = parse(readFileSync(`${repoRoot}deploy/gitops/applicationset.yaml`, 'utf8')).spec;
    const record = readRecords(file).find((candidate) => candidate.name === name)!;
    const path = renderGoTemplate(template.spec.source.path, record);
    expect(existsSync(join(deployCopy, path.replace(/^deploy\//, ''), 'kustomization.yaml'))).toBe(true);
    expect(renderGoTemplate(template.spec.destination.name, record)).toBe(`kubeonazure-${name}`);
    expect(renderGoTemplate(template.metadata.labels['kubeonazure/role'], record)).toBe('read');
  });

  it('gets a visitor entry in the HAProxy plan, itself first, every region behind it', () => {
    const ports = (names: string[]) => (key: string) => ({
      https: 9000 + names.indexOf(key),
      http: 9500 + names.indexOf(key),
    });
    const plans = entryPlans(
      regions,
      ports(regions.map((candidate) => candidate.visitorLocation)),
      ports(regions.map((candidate) => candidate.name)),
    );
    const plan = plans.find((candidate) => candidate.location === region.visitorLocation)!;
    expect(plan.backends[0]?.region).toBe(name);
    expect(plan.backends.map((backend) => backend.region).sort()).toEqual(regions.map((r) => r.name).sort());
    const config = haproxyConfig(plans, trafficManagerProbe(), '/tmp/haproxy.sock');
    expect(config).toContain(`frontend entry-${region.visitorLocation}\n`);
    expect(config).toMatch(
      new RegExp(
        `backend visitors-${region.visitorLocation}\\n(.+\\n)*?  server ${name} 127\\.0\\.0\\.1:\\d+ check check-ssl verify none\\n`,
      ),
    );
  });
});

it('orders by distance: Australia East’s visitors fail over to Southeast Asia first', () => {
  const plans = entryPlans(
    regions,
    () => ({ https: 0, http: 0 }),
    () => ({ https: 0, http: 0 }),
  );
  const australia = plans.find((plan) => plan.location === 'australia')!;
  expect(australia.backends.slice(0, 2).map((backend) => backend.region)).toEqual(['australiaeast', 'southeastasia']);
});

describe('the Azure scripts, reading the copy through REGIONS_FILE', () => {
  it('create the resource groups, registry replicas, Cosmos DB locations and Traffic Manager endpoints', () => {
    const dryRun = run('/bin/bash', [`${repoRoot}deploy/azure/create-backing-services.sh`], { ...env, DRY_RUN: '1' });
    expect(dryRun.stderr).toBe('');
    expect(dryRun.status).toBe(0);
    const out = dryRun.stdout;
    const priorities = [...out.matchAll(/--locations regionName=(\w+) failoverPriority=(\d)/g)].map(
      ([, r, p]) => `${r}=${p}`,
    );
    expect(priorities).toEqual(regions.map((region, priority) => `${region.name}=${priority}`));
    for (const region of regions.filter((candidate) => added.includes(candidate.name))) {
      expect(out).toContain(`az group create --name kubeonazure-${region.name} --location ${region.name}`);
      expect(out).toMatch(new RegExp(`az acr replication create .*--location ${region.name}\\b`));
      expect(out).toContain(`--target ${regionFqdn(region)} --endpoint-location ${region.name}`);
    }
  });

  it('create a cluster and kube context per region', () => {
    const dryRun = run('/bin/bash', [`${repoRoot}deploy/aks/create-clusters.sh`], { ...env, DRY_RUN: '1' });
    expect(dryRun.status).toBe(0);
    const contexts = commandLines(dryRun.stdout)
      .filter((line) => line.startsWith('az aks get-credentials '))
      .map((line) => /--context (\S+)/.exec(line)?.[1]);
    expect(contexts).toEqual(regions.map((region) => `kubeonazure-${region.name}`));
  });
});

describe('globe, reading the copy through REGIONS_FILE', () => {
  it('plans a rollout over every region, the write region first, from the generated overlays', () => {
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'nowhere', cluster: { server: 'https://127.0.0.1:1' } }],
        users: [{ name: 'nobody', user: {} }],
        contexts: regions.map((region) => ({
          name: `kubeonazure-${region.name}`,
          context: { cluster: 'nowhere', user: 'nobody' },
        })),
      }),
    );
    const config = join(dir, 'globe.config.json');
    const shipped = JSON.parse(readFileSync(`${repoRoot}tools/globe/globe.config.json`, 'utf8'));
    // A release pinned as `globe release` pins one; the copy is no checkout, so its age is unknown.
    writeFileSync(join(deployCopy, 'k8s/release/kustomization.yaml'), releaseComponent(TEST_RELEASE));
    writeFileSync(
      config,
      JSON.stringify({
        ...shipped,
        overlays: join(deployCopy, 'k8s/overlays'),
        release: join(deployCopy, 'k8s/release'),
      }),
    );
    const globe = run(
      process.execPath,
      [`${repoRoot}tools/globe/dist/cli.js`, 'rollout', '--allow-stale', '--dry-run', '--config', config],
      { ...env, KUBECONFIG: kubeconfig },
    );
    expect(globe.stderr).toBe('');
    expect(globe.status).toBe(0);
    const applies = globe.stdout
      .split('\n')
      .flatMap((line) => /^\$ kubectl --context (\S+) apply /.exec(line)?.[1] ?? []);
    expect(applies).toEqual(regions.map((region) => `kubeonazure-${region.name}`));
    for (const name of added)
      expect(globe.stdout).toContain(`kubectl kustomize ${join(deployCopy, 'k8s/overlays', name)}`);
  });
});
