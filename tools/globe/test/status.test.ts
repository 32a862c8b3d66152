import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { useCertManagerCrds } from '@kubeonazure/cert-manager/testing';
import { useClusters } from '@kubeonazure/clusters/testing';
import { controlFileIn, writeControl } from '@kubeonazure/region-sim/control-file';
import { Haproxy, serverStates } from '@kubeonazure/region-sim/haproxy';
import { entryPlans, trafficManagerProbe } from '@kubeonazure/region-sim/traffic';
import { REGIONS, type Region, regionFqdn } from '@kubeonazure/regions';
import { freePort } from '@kubeonazure/tool-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHealthz, type HealthzServer } from './healthz-server.ts';
import { ReleaseRepo } from './release-repo.ts';
import { runGlobe } from './run-globe.ts';
import { TrafficManagerStandIn } from './traffic-manager.ts';

// Deployments and Services from one real API server per region (tools/clusters), rolled out by
// globe itself. The frontends' /healthz cannot run on kwok's fake node: small servers on
// 127.0.0.1 answer with the frontend's contract instead, reached through --healthz-url.
const clusters = useClusters();
// The overlays list deploy/k8s/components/tls, whose kinds are cert-manager's.
useCertManagerCrds(() => clusters());

/** Each region's /healthz says its newest tweet is this old (seconds), and globe prints it so. */
const AGES: [number, string][] = [
  [12, '12s ago'],
  [200, '3m ago'],
  [40, '40s ago'],
];
const ageOf = (index: number) => AGES[index % AGES.length]!;
// A read region to take down, and the last one.
const [down, last] = [REGIONS[1]!, REGIONS.at(-1)!];
const healthz = new Map<string, HealthzServer>();
let tm: TrafficManagerStandIn;

// A release pinned in a checkout of its own (digests of nothing: kwok's nodes pull no image).
const repo = new ReleaseRepo();
const release = repo.pin('kubeonazure.azurecr.io', {
  frontend: `sha256:${'a'.repeat(64)}`,
  streamer: `sha256:${'b'.repeat(64)}`,
});
afterAll(() => repo.remove());

beforeAll(async () => {
  tm = await TrafficManagerStandIn.start();
  const rollout = await runGlobe(['rollout', '--config', repo.config, '--timeout', '60s'], { clusters: clusters() });
  if (rollout.code !== 0) throw new Error(`rollout failed: ${rollout.stdout}${rollout.stderr}`);
  for (const [index, region] of REGIONS.entries()) {
    const [age] = ageOf(index);
    healthz.set(
      region.name,
      await startHealthz(200, {
        status: 'ok',
        region: region.name,
        newestTweetAt: new Date(Date.now() - age * 1000).toISOString(),
        newestTweetAgeSeconds: age,
      }),
    );
  }
});
afterAll(async () => {
  await tm?.close();
  await Promise.all([...healthz.values()].map((server) => server.close()));
});

const status = (...args: string[]) => [
  'status',
  ...REGIONS.flatMap((region) => ['--healthz-url', `${region.name}=${healthz.get(region.name)!.url}`]),
  ...args,
];

/** The table row of a healthy region. */
function healthyRow(region: Region, index: number): RegExp {
  const name = region.role === 'write' ? `${region.name} \\(write\\)` : region.name;
  const fqdn = regionFqdn(region).replaceAll('.', '\\.');
  return new RegExp(
    `^${name} +kubeonazure-${region.name} +yes +(\\d)\\/\\1 ${release.version} +1\\/1 ${release.version} +${fqdn} +200 +${ageOf(index)[1]} +in rotation$`,
  );
}

describe('globe status', () => {
  it('prints one table from the live objects of every region and Traffic Manager, and exits 0 when all are healthy', async () => {
    const globe = await runGlobe(status(), { clusters: clusters(), az: tm.az });
    expect(globe.stderr).toBe('');
    expect(globe.code).toBe(0);
    // kwok made every pod Ready; the HorizontalPodAutoscaler holds the frontend at its minimum.
    expect(globe.stdout.split('\n')).toEqual([
      expect.stringMatching(/^REGION +CONTEXT +REACHABLE +FRONTEND +STREAMER +FQDN +HEALTHZ +NEWEST TWEET +TRAFFIC$/),
      ...REGIONS.map((region, index) => expect.stringMatching(healthyRow(region, index))),
      '',
    ]);
  });

  it('with one cluster down shows that region unreachable and the others as they are, and exits 1', async () => {
    const cluster = clusters().cluster(down.name);
    await cluster.stop();
    try {
      const globe = await runGlobe(status('--json'), { clusters: clusters() });
      expect(globe.code).toBe(1);
      const report = JSON.parse(globe.stdout);
      expect(report.healthy).toBe(false);
      expect(
        report.regions.map((region: { region: string; reachable: boolean }) => [region.region, region.reachable]),
      ).toEqual(REGIONS.map((region) => [region.name, region !== down]));
      expect(report.regions[1].error).toMatch(new RegExp(`${cluster.server.replace('https://', '')}.*refused`));
      const lastReport = report.regions.at(-1);
      // Every region runs a frontend and a streamer (only the ingest lease holder streams).
      expect(lastReport.deployments).toEqual(
        ['frontend', 'streamer'].map((name) => ({
          name,
          ready: expect.any(Number),
          desired: expect.any(Number),
          version: release.version,
          images: [release.images[name as 'frontend' | 'streamer']],
        })),
      );
      expect(lastReport.healthz).toMatchObject({
        status: 200,
        ok: true,
        newestTweetAgeSeconds: ageOf(REGIONS.length - 1)[0],
      });
      expect(healthz.get(down.name)!.requests()).toBe(1);

      const table = await runGlobe(status(), { clusters: clusters() });
      expect(table.code).toBe(1);
      expect(table.stdout).toMatch(new RegExp(`^${down.name} +kubeonazure-${down.name} +no +- +- +- +- +- +\\?$`, 'm'));
      expect(table.stdout).toMatch(new RegExp(`^${last.name} +kubeonazure-${last.name} +yes `, 'm'));
      expect(table.stdout).toMatch(new RegExp(`^${down.name}: .*refused`, 'm'));
      // Without az, whether a region is drained is unknown: said, and no reason to skip a region.
      expect(table.stdout).toMatch(/^traffic: Traffic Manager profile kubeonazure .*: az not found on PATH/m);
    } finally {
      await cluster.start();
    }
  });

  it('fails while a frontend /healthz says 503, naming the reason', async () => {
    const failing = await startHealthz(503, {
      status: 'unavailable',
      region: last.name,
      reason: 'database unreachable',
    });
    try {
      const globe = await runGlobe(['status', '--regions', last.name, '--healthz-url', `${last.name}=${failing.url}`], {
        clusters: clusters(),
      });
      expect(globe.code).toBe(1);
      expect(globe.stdout).toMatch(
        new RegExp(
          `^${last.name} +kubeonazure-${last.name} +yes +(\\d)\\/\\1 ${release.version} +1\\/1 ${release.version} +\\S+ +503 +- +\\?$`,
          'm',
        ),
      );
      expect(globe.stdout).toContain(`${last.name}: database unreachable`);
    } finally {
      await failing.close();
    }
  });

  it("asks /healthz over HTTPS, verifying the certificate's chain, not its name (the custom domain's)", async () => {
    const exec = promisify(execFile);
    const dir = mkdtempSync(path.join(tmpdir(), 'globe-tls-'));
    const file = (name: string) => path.join(dir, name);
    const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'];
    await exec('openssl', [
      'req',
      '-x509',
      ...key,
      '-subj',
      '/CN=test CA',
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.crt'),
    ]);
    // The frontend's certificate names the custom domain; globe asks by an address.
    await exec('openssl', [
      'req',
      '-x509',
      ...key,
      '-subj',
      '/CN=www.kubeonazure.test',
      '-addext',
      'subjectAltName=DNS:www.kubeonazure.test',
      '-CA',
      file('ca.crt'),
      '-CAkey',
      file('ca.key'),
      '-keyout',
      file('tls.key'),
      '-out',
      file('tls.crt'),
    ]);
    const frontend = await startHealthz(
      200,
      { status: 'ok', region: last.name, newestTweetAgeSeconds: 5 },
      { cert: readFileSync(file('tls.crt'), 'utf8'), key: readFileSync(file('tls.key'), 'utf8') },
    );
    try {
      const args = ['status', '--regions', last.name, '--healthz-url', `${last.name}=${frontend.url}`, '--json'];
      const trusted = await runGlobe(args, { clusters: clusters(), env: { NODE_EXTRA_CA_CERTS: file('ca.crt') } });
      expect(JSON.parse(trusted.stdout).regions[0].healthz).toMatchObject({ status: 200, ok: true });
      // A chain nobody vouches for is no answer.
      const untrusted = await runGlobe(args, { clusters: clusters() });
      expect(JSON.parse(untrusted.stdout).regions[0].healthz).toMatchObject({ status: null, ok: false });
      expect(frontend.requests()).toBe(1);
    } finally {
      await frontend.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('a drained region', () => {
    let failing: HealthzServer;
    beforeAll(async () => {
      failing = await startHealthz(503, { status: 'unavailable', region: last.name, reason: 'database unreachable' });
    });
    afterAll(() => failing?.close());
    /** The last region's /healthz says 503: it would fail status were it in rotation. */
    const withFailingLast = (...args: string[]) => [
      'status',
      ...REGIONS.flatMap((region) => [
        '--healthz-url',
        `${region.name}=${region === last ? failing.url : healthz.get(region.name)!.url}`,
      ]),
      ...args,
    ];
    const trafficOf = (stdout: string, region: string) =>
      new RegExp(`^${region}(?: \\(write\\))? .* (in rotation|drained|\\?)$`, 'm').exec(stdout)?.[1];

    it('Traffic Manager: shown drained, and its health asks nothing of status', async () => {
      const drained = await runGlobe(['drain', last.name], { az: tm.az });
      expect(drained.code).toBe(0);
      try {
        const globe = await runGlobe(withFailingLast(), { clusters: clusters(), az: tm.az });
        expect(globe.stderr).toBe('');
        expect(globe.code).toBe(0);
        expect(REGIONS.map((region) => trafficOf(globe.stdout, region.name))).toEqual(
          REGIONS.map((region) => (region === last ? 'drained' : 'in rotation')),
        );
        expect(globe.stdout).toContain(`${last.name}: database unreachable`);
      } finally {
        expect((await runGlobe(['undrain', last.name], { az: tm.az })).code).toBe(0);
      }
      // Back in rotation, its 503 fails status again.
      expect((await runGlobe(withFailingLast(), { clusters: clusters(), az: tm.az })).code).toBe(1);
    }, 120_000);

    it('--sim: drained through the simulation’s HAProxy (its runtime API), read back the same way', async () => {
      // HAProxy as `npm run regions` runs it (region-sim), and its control file in this run's TMPDIR.
      const dir = mkdtempSync(path.join(tmpdir(), 'globe-sim-'));
      const ports = new Map<string, { https: number; http: number }>();
      for (const key of REGIONS.flatMap((region) => [region.name, region.visitorLocation]))
        ports.set(key, { https: await freePort(), http: await freePort() });
      const plans = entryPlans(
        REGIONS,
        (location) => ports.get(location)!,
        (name) => ports.get(name)!,
      );
      const haproxy = await Haproxy.start(dir, plans, trafficManagerProbe());
      try {
        await writeControl({ pid: process.pid, port: 0, haproxySocket: haproxy.socket }, controlFileIn(dir));
        const sim = { env: { TMPDIR: dir } };
        const drained = await runGlobe(['drain', last.name, '--sim'], sim);
        expect(drained.stderr).toBe('');
        expect(drained.stdout).toContain(`${last.name}: drained (the simulation's HAProxy (${haproxy.socket}))`);
        const states = await serverStates(haproxy.socket);
        expect(
          Object.entries(states)
            .filter(([, state]) => state === 'MAINT')
            .map(([server]) => server),
        ).toEqual(plans.map((plan) => `visitors-${plan.location}/${last.name}`));
        expect((await runGlobe(['drain', last.name, '--sim'], sim)).stdout).toContain(
          `${last.name}: already drained, nothing changed`,
        );

        const globe = await runGlobe([...withFailingLast(), '--sim'], { clusters: clusters(), ...sim });
        expect(globe.code).toBe(0);
        expect(REGIONS.map((region) => trafficOf(globe.stdout, region.name))).toEqual(
          REGIONS.map((region) => (region === last ? 'drained' : 'in rotation')),
        );

        expect((await runGlobe(['undrain', last.name, '--sim'], sim)).code).toBe(0);
        expect(Object.values(await serverStates(haproxy.socket))).not.toContain('MAINT');
      } finally {
        await haproxy.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);

    it('--sim without a running simulation is bad input', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'globe-sim-'));
      try {
        const run = await runGlobe(['drain', last.name, '--sim'], { env: { TMPDIR: dir } });
        expect(run.code).toBe(2);
        expect(run.stderr).toBe('globe: --sim: no region set is running (start one with npm run regions)\n');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
