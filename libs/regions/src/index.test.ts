import { describe, expect, it } from 'vitest';
import { parseRegions, REGIONS, regionFqdn, WRITE_REGION } from './index.ts';

describe('the region list', () => {
  it('has one write region, listed first', () => {
    expect(REGIONS[0]).toBe(WRITE_REGION);
    expect(REGIONS.filter((region) => region.role === 'write')).toHaveLength(1);
  });

  it('names each region, display name, DNS label and visitor location once', () => {
    for (const key of ['name', 'displayName', 'dnsLabel', 'visitorLocation'] as const) {
      expect(new Set(REGIONS.map((region) => region[key])).size).toBe(REGIONS.length);
    }
  });

  it('builds the Traffic Manager endpoint host', () => {
    expect(regionFqdn(WRITE_REGION)).toBe(`${WRITE_REGION.dnsLabel}.${WRITE_REGION.name}.cloudapp.azure.com`);
  });

  it('rejects a list with two write regions', () => {
    const region = { ...WRITE_REGION };
    expect(() => parseRegions([region, { ...region, name: 'eastus', dnsLabel: 'kubeonazure-eastus' }])).toThrow(
      /exactly one region/,
    );
  });

  it('rejects a list with no write region', () => {
    expect(() => parseRegions([{ ...WRITE_REGION, role: 'read' }])).toThrow(/exactly one region/);
  });

  it('rejects a malformed entry', () => {
    expect(() => parseRegions([{ ...WRITE_REGION, name: 'West US' }])).toThrow();
  });
});
