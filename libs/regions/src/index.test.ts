import { readFileSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  derivedTheme,
  greatCircleKm,
  latencyOrder,
  parseRegions,
  readRegions,
  REGIONS,
  REGIONS_FILE,
  regionFqdn,
  roundTripMs,
  WRITE_REGION,
} from './index.ts';
import { ADDED_REGIONS, regionsFileWith } from './testing.ts';

const raw = JSON.parse(readFileSync(REGIONS_FILE, 'utf8')) as Record<string, unknown>[];
const writeRecord = raw.find((record) => record.role === 'write')!;
const byName = (name: string) => REGIONS.find((region) => region.name === name)!;

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

  it('derives the DNS label from the name, and builds the Traffic Manager endpoint host from it', () => {
    for (const region of REGIONS) expect(region.dnsLabel).toBe(`kubeonazure-${region.name}`);
    expect(regionFqdn(WRITE_REGION)).toBe(`kubeonazure-${WRITE_REGION.name}.${WRITE_REGION.name}.cloudapp.azure.com`);
  });

  it('rejects a list with two write regions', () => {
    expect(() => parseRegions([writeRecord, { ...writeRecord, name: 'eastus', visitorLocation: 'east' }])).toThrow(
      /exactly one region/,
    );
  });

  it('rejects a list with no write region', () => {
    expect(() => parseRegions([{ ...writeRecord, role: 'read' }])).toThrow(/exactly one region/);
  });

  it('rejects two regions serving the same visitors', () => {
    expect(() => parseRegions([writeRecord, { ...writeRecord, name: 'eastus', role: 'read' }])).toThrow(
      /visitor locations are unique/,
    );
  });

  it('rejects a malformed entry, a field it does not know and a theme that is not CSS it expects', () => {
    expect(() => parseRegions([{ ...writeRecord, name: 'West US' }])).toThrow();
    expect(() => parseRegions([{ ...writeRecord, dnsLabel: 'other' }])).toThrow();
    expect(() => parseRegions([{ ...writeRecord, coordinates: { latitude: 91, longitude: 0 } }])).toThrow();
    expect(() => parseRegions([{ ...writeRecord, theme: { accent: 'red;}' } }])).toThrow(/#rrggbb/);
    expect(() => parseRegions([{ ...writeRecord, theme: { shape: ['0 0', '1 1', '2 2);x'] } }])).toThrow(/vertex/);
  });

  it('names the file when a list does not parse', () => {
    const { dir, file } = regionsFileWith([{ ...ADDED_REGIONS[0]!, role: 'write' }]);
    try {
      expect(() => readRegions(file)).toThrow(`region list ${file}: `);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads a copy with added regions: records only, everything else derived', () => {
    const { dir, file } = regionsFileWith();
    try {
      const regions = readRegions(file);
      expect(regions.map((region) => region.name)).toEqual([
        ...REGIONS.map((region) => region.name),
        'brazilsouth',
        'australiaeast',
      ]);
      expect(regions.at(-1)).toMatchObject({
        dnsLabel: 'kubeonazure-australiaeast',
        theme: derivedTheme('australiaeast'),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('themes', () => {
  it('keeps what a record overrides and derives the rest', () => {
    const [region] = parseRegions([{ ...writeRecord, theme: { accent: '#123456' } }]);
    expect(region!.theme).toEqual({ ...derivedTheme(String(writeRecord.name)), accent: '#123456' });
  });

  it('derives a stable theme per name, different between names', () => {
    expect(derivedTheme('brazilsouth')).toEqual(derivedTheme('brazilsouth'));
    expect(derivedTheme('brazilsouth').accent).not.toBe(derivedTheme('australiaeast').accent);
    expect(derivedTheme('brazilsouth').accent).toMatch(/^hsl\(\d+ 75% 35%\)$/);
    expect(derivedTheme('brazilsouth')).not.toHaveProperty('shape');
  });
});

describe('latencies', () => {
  it('measures great circles: London to Singapore is about 10,900 km', () => {
    const london = { latitude: 51.507, longitude: -0.128 };
    const singapore = { latitude: 1.352, longitude: 103.82 };
    expect(greatCircleKm(london, singapore)).toBeCloseTo(10_880, -2);
    expect(greatCircleKm(london, london)).toBe(0);
  });

  it('estimates round trips near the published Azure figures (135-170 ms between these regions)', () => {
    const rtt = (a: string, b: string) => Math.round(roundTripMs(byName(a).coordinates, byName(b).coordinates));
    expect(rtt('westus', 'uksouth')).toBeGreaterThan(120);
    expect(rtt('westus', 'uksouth')).toBeLessThan(150);
    expect(rtt('uksouth', 'southeastasia')).toBeGreaterThan(150);
    expect(rtt('uksouth', 'southeastasia')).toBeLessThan(180);
    expect(rtt('westus', 'uksouth')).toBe(rtt('uksouth', 'westus'));
  });

  it('orders the regions for each one’s visitors as Performance routing does: itself, then the nearest', () => {
    // The order the hand-made latency table gave these three (the list may hold more).
    const three = ['westus', 'uksouth', 'southeastasia'].map(byName);
    const order = (name: string) => latencyOrder(byName(name), three).map((region) => region.name);
    expect(order('westus')).toEqual(['westus', 'uksouth', 'southeastasia']);
    expect(order('uksouth')).toEqual(['uksouth', 'westus', 'southeastasia']);
    expect(order('southeastasia')).toEqual(['southeastasia', 'uksouth', 'westus']);
  });
});
