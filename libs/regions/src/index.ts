import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { type Coordinates, roundTripMs } from './latency.js';
import { derivedTheme, type Theme, themeOverrideSchema } from './theme.js';

export { type Coordinates, greatCircleKm, roundTripMs } from './latency.js';
export { derivedTheme, type Theme } from './theme.js';

/**
 * The one list of regions, and the only per-region input: overlays, apimodels, DNS labels, themes
 * and latencies all derive from it. It is JSON so that what is not TypeScript reads the same file:
 * the Argo CD ApplicationSet (git files generator) and the Azure scripts.
 */
const recordSchema = z.strictObject({
  /** Short Azure name (`uksouth`): REGION, overlay folder, kube context and DNS label suffix. */
  name: z.string().regex(/^[a-z0-9]{2,40}$/),
  /** Azure display name: the `region` tag Cosmos DB puts on each replica, used for the read preference. */
  displayName: z.string().min(1),
  /**
   * Where the region starts: `write` for the initial Cosmos DB write region (its streamer takes the
   * ingest lease first), `read` for the others; the list's order is the failover priority. Exactly one
   * is `write`. The write region at any moment is the current primary, whatever the database says
   * now: after a failover it is another region, and this field does not change.
   */
  role: z.enum(['write', 'read']),
  /** City, for the banner. */
  city: z.string().min(1),
  /** The visitors Traffic Manager's Performance routing sends here first: those near `coordinates`. */
  visitorLocation: z.string().regex(/^[a-z]+$/),
  /** Where the region is (`az account list-locations`): latencies between regions derive from it. */
  coordinates: z.strictObject({
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
  }),
  /** The banner's colours and skyline; what is left out is derived from the name. */
  theme: themeOverrideSchema.optional(),
});

/** A record of regions.json, as written there. */
export type RegionRecord = z.input<typeof recordSchema>;

/** A region: its record with everything derived from it. */
export interface Region extends Omit<z.infer<typeof recordSchema>, 'theme'> {
  /** The frontend Service's public DNS label, `kubeonazure-<name>`: `<dnsLabel>.<name>.cloudapp.azure.com`. */
  dnsLabel: string;
  theme: Theme;
}

const listSchema = z
  .array(recordSchema)
  .min(1)
  .refine((list) => list.filter((region) => region.role === 'write').length === 1, {
    error: 'exactly one region has role "write"',
  })
  .refine((list) => new Set(list.map((region) => region.name)).size === list.length, {
    error: 'region names are unique',
  })
  .refine((list) => new Set(list.map((region) => region.visitorLocation)).size === list.length, {
    error: 'visitor locations are unique',
  });

/** The DNS label every region's frontend Service gets (deploy/k8s/components/region-dns-label writes the same). */
export function dnsLabel(name: string): string {
  return `kubeonazure-${name}`;
}

/** Parses a region list; throws naming the first problem. The write region comes first. */
export function parseRegions(json: unknown): Region[] {
  const list = listSchema.parse(json).map(
    ({ theme, ...record }): Region => ({
      ...record,
      dnsLabel: dnsLabel(record.name),
      theme: { ...derivedTheme(record.name), ...theme },
    }),
  );
  return list.sort((a, b) => (a.role === b.role ? 0 : a.role === 'write' ? -1 : 1));
}

/**
 * The file read: `REGIONS_FILE` if set (tests point the code at a copy with more regions), else the
 * package's regions.json.
 */
export const REGIONS_FILE: string =
  process.env.REGIONS_FILE === undefined || process.env.REGIONS_FILE === ''
    ? fileURLToPath(new URL('../regions.json', import.meta.url))
    : resolve(process.env.REGIONS_FILE);

/** Reads and parses a region list file; the error names the file. */
export function readRegions(file: string): Region[] {
  try {
    return parseRegions(JSON.parse(readFileSync(file, 'utf8')));
  } catch (error) {
    throw new Error(`region list ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Every region, the write region first, in the order of the file otherwise. */
export const REGIONS: readonly Region[] = readRegions(REGIONS_FILE);

export const REGION_NAMES: readonly string[] = REGIONS.map((region) => region.name);

/** The region that starts as the write region (see `role`). */
export const WRITE_REGION: Region = REGIONS.find((region) => region.role === 'write') as Region;

/** The region named `name`, or undefined. */
export function findRegion(name: string): Region | undefined {
  return REGIONS.find((region) => region.name === name);
}

/** Traffic Manager's endpoint host for a region's frontend. */
export function regionFqdn(region: Region): string {
  return `${region.dnsLabel}.${region.name}.cloudapp.azure.com`;
}

/**
 * The regions in the order Traffic Manager's Performance routing tries them for the visitors `from`
 * serves: by estimated round-trip time from its coordinates, the nearest (`from` itself) first.
 */
export function latencyOrder(from: Region, regions: readonly Region[]): Region[] {
  const rtt = (to: { coordinates: Coordinates }) => roundTripMs(from.coordinates, to.coordinates);
  return [...regions].sort((a, b) => rtt(a) - rtt(b));
}
