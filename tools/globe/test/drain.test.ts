import { REGIONS } from '@kubeonazure/regions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGlobe } from './run-globe.ts';
import { TrafficManagerStandIn } from './traffic-manager.ts';

// `globe drain` with the real az against the Azure Resource Manager stand-in (libs/fake-azure), asserting
// the requests it sends. No cluster is involved: draining asks no kube context.
let tm: TrafficManagerStandIn;
const region = REGIONS[1]!.name;

beforeAll(async () => {
  tm = await TrafficManagerStandIn.start();
}, 120_000);
afterAll(() => tm?.close());

/** Runs globe with the real az; what it printed and the writes Azure got. */
async function globe(...args: string[]) {
  const from = tm.azure.requests.length;
  const run = await runGlobe(args, { az: tm.az });
  return { ...run, writes: tm.writesSince(from) };
}

const status = (name: string) => tm.endpoint(name)?.properties.endpointStatus;

describe('globe drain and undrain with Traffic Manager', () => {
  it('drain disables the region’s endpoint, and only that; a second drain writes nothing', async () => {
    const from = tm.azure.requests.length;
    const drained = await globe('drain', region);
    expect(drained.stderr).toBe('');
    expect(drained.code).toBe(0);
    expect(drained.stdout).toContain(`${region}: drained (Traffic Manager profile kubeonazure`);
    expect(drained.writes.map((write) => write.path.toLowerCase())).toEqual([tm.endpointId(region).toLowerCase()]);
    expect(drained.writes[0]!.body).toMatchObject({ properties: { endpointStatus: 'Disabled' } });
    expect(REGIONS.map((candidate) => status(candidate.name))).toEqual(
      REGIONS.map((candidate) => (candidate.name === region ? 'Disabled' : 'Enabled')),
    );
    // One read of the profile (its endpoints inside), then the endpoint's own read and write (az's update).
    expect(
      tm.azure.requests
        .slice(from)
        .map((request) => `${request.method} ${request.path.split('/').slice(-2).join('/').toLowerCase()}`),
    ).toEqual([
      'GET trafficmanagerprofiles/kubeonazure',
      `GET externalendpoints/${region}`,
      `PUT externalendpoints/${region}`,
    ]);
    // No cluster was asked.
    expect(drained.calls).toEqual([]);

    const again = await globe('drain', region);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`${region}: already drained, nothing changed`);
    expect(again.writes).toEqual([]);
  }, 60_000);

  it('undrain enables it again, once', async () => {
    const undrained = await globe('undrain', region);
    expect(undrained.code).toBe(0);
    expect(undrained.stdout).toContain(`${region}: in rotation (Traffic Manager profile kubeonazure`);
    expect(undrained.writes).toHaveLength(1);
    expect(undrained.writes[0]!.body).toMatchObject({ properties: { endpointStatus: 'Enabled' } });
    expect(status(region)).toBe('Enabled');
    expect((await globe('undrain', region)).writes).toEqual([]);
  }, 60_000);

  it('refuses to drain the last region in rotation, writing nothing', async () => {
    const [last, ...others] = REGIONS.map((candidate) => candidate.name).toReversed();
    for (const other of others) tm.setStatus(other, 'Disabled');
    try {
      const refused = await globe('drain', last!);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toBe(`globe: refusing to drain ${last}: it is the last region in rotation\n`);
      expect(refused.writes).toEqual([]);
    } finally {
      for (const other of others) tm.setStatus(other, 'Enabled');
    }
  }, 60_000);

  it('stops with az’s error in one line, and exit 1, when Azure refuses', async () => {
    tm.azure.faults.set(tm.profile.toLowerCase(), {
      status: 403,
      code: 'AuthorizationFailed',
      message:
        "The client does not have authorization to perform action 'Microsoft.Network/trafficManagerProfiles/read'.",
    });
    try {
      const refused = await globe('drain', region);
      expect(refused.code).toBe(1);
      expect(refused.stderr.split('\n')).toHaveLength(2);
      expect(refused.stderr).toMatch(/^globe: az network traffic-manager endpoint list .* failed: .*authorization/);
      expect(refused.writes).toEqual([]);
    } finally {
      tm.azure.faults.clear();
    }
  }, 60_000);

  it('an unknown region is bad input: exit 2, nothing asked', async () => {
    const from = tm.azure.requests.length;
    const run = await globe('drain', 'eastus');
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`globe: unknown region eastus (configured: ${REGIONS.map((r) => r.name).join(', ')})\n`);
    expect(tm.azure.requests.length).toBe(from);
  });
});
