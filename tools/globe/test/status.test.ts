import { useClusters } from '@kubeonazure/clusters/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHealthz, type HealthzServer } from './healthz-server.ts';
import { runGlobe } from './run-globe.ts';

// Deployments and Services from one real API server per region (tools/clusters), rolled out by
// globe itself. The frontends' /healthz cannot run on kwok's fake node: small servers on
// 127.0.0.1 answer with the frontend's contract instead, reached through --healthz-url.
const clusters = useClusters();

let westus: HealthzServer;
let uksouth: HealthzServer;
let southeastasia: HealthzServer;

beforeAll(async () => {
  const rollout = await runGlobe(['rollout', '--tag', 'live123', '--timeout', '60s'], { clusters: clusters() });
  if (rollout.code !== 0) throw new Error(`rollout failed: ${rollout.stdout}${rollout.stderr}`);
  const ok = (region: string, age: number) => ({
    status: 'ok',
    region,
    newestTweetAt: new Date(Date.now() - age * 1000).toISOString(),
    newestTweetAgeSeconds: age,
  });
  westus = await startHealthz(200, ok('westus', 12));
  uksouth = await startHealthz(200, ok('uksouth', 200));
  southeastasia = await startHealthz(200, ok('southeastasia', 40));
});
afterAll(async () => {
  await Promise.all([westus?.close(), uksouth?.close(), southeastasia?.close()]);
});

const status = (...args: string[]) => [
  'status',
  '--healthz-url',
  `westus=${westus.url}`,
  '--healthz-url',
  `uksouth=${uksouth.url}`,
  '--healthz-url',
  `southeastasia=${southeastasia.url}`,
  ...args,
];

describe('globe status', () => {
  it('prints one table from the live objects of every region and exits 0 when all are healthy', async () => {
    const globe = await runGlobe(status(), { clusters: clusters() });
    expect(globe.stderr).toBe('');
    expect(globe.code).toBe(0);
    // kwok made every pod Ready; the HorizontalPodAutoscaler holds the frontend at its minimum.
    expect(globe.stdout.split('\n')).toEqual([
      expect.stringMatching(/^REGION +CONTEXT +REACHABLE +FRONTEND +STREAMER +FQDN +HEALTHZ +NEWEST TWEET$/),
      expect.stringMatching(
        /^westus \(write\) +kubeonazure-westus +yes +(\d)\/\1 \S*live123 +1\/1 \S*live123 +kubeonazure-westus\.westus\.cloudapp\.azure\.com +200 +12s ago$/,
      ),
      expect.stringMatching(
        /^uksouth +kubeonazure-uksouth +yes +(\d)\/\1 \S*live123 +1\/1 \S*live123 +kubeonazure-uksouth\.uksouth\.cloudapp\.azure\.com +200 +3m ago$/,
      ),
      expect.stringMatching(
        /^southeastasia +kubeonazure-southeastasia +yes +(\d)\/\1 \S*live123 +1\/1 \S*live123 +\S+ +200 +40s ago$/,
      ),
      '',
    ]);
  });

  it('with one cluster down shows that region unreachable and the others as they are, and exits 1', async () => {
    const down = clusters().cluster('uksouth');
    await down.stop();
    try {
      const globe = await runGlobe(status('--json'), { clusters: clusters() });
      expect(globe.code).toBe(1);
      const report = JSON.parse(globe.stdout);
      expect(report.healthy).toBe(false);
      expect(
        report.regions.map((region: { region: string; reachable: boolean }) => [region.region, region.reachable]),
      ).toEqual([
        ['westus', true],
        ['uksouth', false],
        ['southeastasia', true],
      ]);
      expect(report.regions[1].error).toMatch(new RegExp(`${down.server.replace('https://', '')}.*refused`));
      // Every region runs a frontend and a streamer (only the ingest lease holder streams).
      expect(report.regions[2].deployments).toEqual(
        ['frontend', 'streamer'].map((name) => ({
          name,
          ready: expect.any(Number),
          desired: expect.any(Number),
          tags: [expect.stringMatching(/live123$/)],
        })),
      );
      expect(report.regions[2].healthz).toMatchObject({ status: 200, ok: true, newestTweetAgeSeconds: 40 });
      expect(uksouth.requests()).toBe(1);

      const table = await runGlobe(status(), { clusters: clusters() });
      expect(table.code).toBe(1);
      expect(table.stdout).toMatch(/^uksouth +kubeonazure-uksouth +no +- +- +- +- +-$/m);
      expect(table.stdout).toMatch(/^southeastasia +kubeonazure-southeastasia +yes /m);
      expect(table.stdout).toMatch(/^uksouth: .*refused/m);
    } finally {
      await down.start();
    }
  });

  it('fails while a frontend /healthz says 503, naming the reason', async () => {
    const failing = await startHealthz(503, {
      status: 'unavailable',
      region: 'southeastasia',
      reason: 'database unreachable',
    });
    try {
      const globe = await runGlobe(
        ['status', '--regions', 'southeastasia', '--healthz-url', `southeastasia=${failing.url}`],
        { clusters: clusters() },
      );
      expect(globe.code).toBe(1);
      expect(globe.stdout).toMatch(
        /^southeastasia +kubeonazure-southeastasia +yes +(\d)\/\1 \S*live123 +1\/1 \S*live123 +\S+ +503 +-$/m,
      );
      expect(globe.stdout).toContain('southeastasia: database unreachable');
    } finally {
      await failing.close();
    }
  });
});
