import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHealthz, type HealthzServer } from './healthz-server.ts';
import { contextOf, runGlobe } from './run-globe.ts';

let westus: HealthzServer;
let uksouth: HealthzServer;
let southeastasia: HealthzServer;

beforeAll(async () => {
  const ok = (region: string, age: number | null) => ({
    status: 'ok',
    region,
    newestTweetAt: age === null ? null : new Date(Date.now() - age * 1000).toISOString(),
    newestTweetAgeSeconds: age,
  });
  westus = await startHealthz(200, ok('westus', 12));
  uksouth = await startHealthz(200, ok('uksouth', 200));
  southeastasia = await startHealthz(503, { status: 'unavailable', region: 'southeastasia', reason: 'database unreachable' });
});
afterAll(async () => {
  await Promise.all([westus.close(), uksouth.close(), southeastasia.close()]);
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
  it('prints one table across the regions and fails while a region is unhealthy', async () => {
    const run = await runGlobe(status());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    expect(run.stdout.split('\n')).toEqual([
      expect.stringMatching(/^REGION +CONTEXT +REACHABLE +FRONTEND +STREAMER +FQDN +HEALTHZ +NEWEST TWEET$/),
      expect.stringMatching(
        /^westus \(write\) +kubeonazure-westus +yes +2\/2 abc1234 +1\/1 abc1234 +kubeonazure-westus\.westus\.cloudapp\.azure\.com +200 +12s ago$/,
      ),
      expect.stringMatching(/^uksouth +kubeonazure-uksouth +yes +2\/2 abc1234 +- +kubeonazure-uksouth\.uksouth\.cloudapp\.azure\.com +200 +3m ago$/),
      expect.stringMatching(/^southeastasia +kubeonazure-southeastasia +yes +2\/2 abc1234 +- +\S+ +503 +-$/),
      '',
      'southeastasia: database unreachable',
      '',
    ]);
    expect([westus.requests(), uksouth.requests(), southeastasia.requests()].every((count) => count >= 1)).toBe(true);
  });

  it('reads deployments and the frontend Service from each region with a bounded request', async () => {
    const run = await runGlobe(status('--regions', 'uksouth'));
    expect(run.calls.map((call) => call.args)).toEqual([
      ['config', 'get-contexts', '-o', 'name'],
      ['--context', 'kubeonazure-uksouth', '--namespace', 'kubeonazure', 'get', 'deployments', '--output=json', '--request-timeout=10s'],
      ['--context', 'kubeonazure-uksouth', '--namespace', 'kubeonazure', 'get', 'service', 'frontend', '--output=json', '--request-timeout=10s'],
    ]);
    expect(run.code).toBe(0);
  });

  it('--json gives machines the same facts', async () => {
    const run = await runGlobe(status('--json'), { scenario: { unreachable: ['kubeonazure-uksouth'], notReady: ['kubeonazure-westus'] } });
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.healthy).toBe(false);
    expect(report.regions).toEqual([
      {
        region: 'westus',
        role: 'write',
        context: 'kubeonazure-westus',
        reachable: true,
        deployments: [
          { name: 'frontend', ready: 1, desired: 2, tags: ['abc1234'] },
          { name: 'streamer', ready: 1, desired: 1, tags: ['abc1234'] },
        ],
        fqdn: 'kubeonazure-westus.westus.cloudapp.azure.com',
        healthz: { url: westus.url, status: 200, ok: true, newestTweetAgeSeconds: 12 },
      },
      {
        region: 'uksouth',
        role: 'read',
        context: 'kubeonazure-uksouth',
        reachable: false,
        error: 'Unable to connect to the server: dial tcp: lookup kubeonazure-uksouth.hcp.azmk8s.io: no such host',
        deployments: [],
        fqdn: null,
        healthz: null,
      },
      {
        region: 'southeastasia',
        role: 'read',
        context: 'kubeonazure-southeastasia',
        reachable: true,
        deployments: [{ name: 'frontend', ready: 2, desired: 2, tags: ['abc1234'] }],
        fqdn: 'kubeonazure-southeastasia.southeastasia.cloudapp.azure.com',
        healthz: { url: southeastasia.url, status: 503, ok: false, newestTweetAgeSeconds: null, error: 'database unreachable' },
      },
    ]);
  });

  it('exits 0 when every selected region is healthy', async () => {
    const run = await runGlobe(status('--regions', 'westus,uksouth', '--json'));
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).healthy).toBe(true);
  });

  it('reports a frontend that does not answer', async () => {
    const closed = await startHealthz(200, {});
    await closed.close();
    const run = await runGlobe(['status', '--regions', 'westus', '--healthz-url', `westus=${closed.url}`]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/westus \(write\) .* no answer +-\n/);
    expect(run.stdout).toMatch(/westus: connect ECONNREFUSED 127\.0\.0\.1:\d+/);
  });

  it('uses the contexts from --context-prefix and --context', async () => {
    const contexts = ['prod-westus', 'aks-london', 'prod-southeastasia'];
    const run = await runGlobe(status('--context-prefix', 'prod', '--context', 'uksouth=aks-london'), { scenario: { contexts } });
    expect([...new Set(run.calls.map(contextOf).filter(Boolean))].sort()).toEqual([...contexts].sort());
  });
});
