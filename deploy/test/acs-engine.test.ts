import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REGION_NAMES } from '@kubeonazure/regions';
import { repoRoot } from './support.ts';

const dir = `${repoRoot}deploy/acs-engine/`;
const apimodels = Object.fromEntries(
  REGION_NAMES.map((region) => [region, JSON.parse(readFileSync(`${dir}${region}.json`, 'utf8'))]),
);

/** Every string in a JSON document with its path, to look for credentials wherever they hide. */
function strings(value: unknown, path = ''): [string, string][] {
  if (typeof value === 'string') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((item, index) => strings(item, `${path}[${index}]`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([key, item]) => strings(item, path ? `${path}.${key}` : key));
  return [];
}

describe.each(REGION_NAMES)('acs-engine/%s.json', (region) => {
  const model = apimodels[region];

  it('defines the original cluster in its own region: 1 master, 2 Standard_D2_v2 agents', () => {
    expect(model.apiVersion).toBe('vlabs');
    expect(model.location).toBe(region);
    const { properties } = model;
    expect(properties.orchestratorProfile.orchestratorType).toBe('Kubernetes');
    expect(properties.masterProfile).toMatchObject({ count: 1, vmSize: 'Standard_D2_v2' });
    expect(properties.masterProfile.dnsPrefix).toMatch(/^[a-z][a-z0-9-]{1,43}[a-z0-9]$/);
    expect(properties.agentPoolProfiles).toEqual([
      expect.objectContaining({
        count: 2,
        vmSize: 'Standard_D2_v2',
        osType: 'Linux',
        availabilityProfile: 'AvailabilitySet',
      }),
    ]);
  });

  it('holds no key or secret: the ssh key and service principal are set at generate time', () => {
    const { properties } = model;
    expect(properties.linuxProfile.ssh.publicKeys).toEqual([{ keyData: '' }]);
    expect(properties.servicePrincipalProfile).toEqual({ clientId: '', secret: '' });
    for (const [path, value] of strings(model)) {
      if (/key|secret|password|clientid|token|cert/i.test(path)) expect(value, path).toBe('');
      expect(value, path).not.toMatch(
        /ssh-(rsa|ed25519)|BEGIN [A-Z ]*PRIVATE KEY|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i,
      );
    }
  });
});

describe('acs-engine apimodels together', () => {
  it('exist for exactly the listed regions, each with a unique dnsPrefix', () => {
    expect(
      readdirSync(dir)
        .filter((name) => name.endsWith('.json'))
        .sort(),
    ).toEqual(REGION_NAMES.map((region) => `${region}.json`).sort());
    const prefixes = REGION_NAMES.map((region) => apimodels[region].properties.masterProfile.dnsPrefix);
    expect(new Set(prefixes).size).toBe(REGION_NAMES.length);
  });

  it('keep acs-engine output, which holds keys, out of git', () => {
    expect(readFileSync(`${dir}.gitignore`, 'utf8')).toMatch(/^_output\/$/m);
  });

  it('document the generate command per region with credentials from the environment', () => {
    const readme = readFileSync(`${dir}README.md`, 'utf8');
    expect(readme).toContain('acs-engine generate');
    expect(readme).toContain('linuxProfile.ssh.publicKeys[0].keyData=$SSH_PUBLIC_KEY');
    expect(readme).toContain('servicePrincipalProfile.secret=$SP_SECRET');
    expect(readme).toContain('az deployment group create');
  });
});
