import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * The one list of regions. It is JSON so that what is not TypeScript reads the same file: the
 * Argo CD ApplicationSet (git files generator) and the tests that check the Azure scripts.
 */
const regionSchema = z.object({
  /** Short Azure name (`uksouth`): REGION, overlay folder, kube context suffix. */
  name: z.string().regex(/^[a-z0-9]+$/),
  /** Azure display name: the `region` tag Cosmos DB puts on each replica, used for the read preference. */
  displayName: z.string().min(1),
  /** The Cosmos DB write region streams and writes; read regions only serve. Exactly one is `write`. */
  role: z.enum(['write', 'read']),
  /** City, for the banner. */
  city: z.string().min(1),
  /** The frontend Service's public DNS label: `<dnsLabel>.<name>.cloudapp.azure.com`. */
  dnsLabel: z.string().regex(/^[a-z][a-z0-9-]{1,61}[a-z0-9]$/),
  /** The visitors Traffic Manager's Performance routing sends here first. */
  visitorLocation: z.string().regex(/^[a-z]+$/),
});

export type Region = z.infer<typeof regionSchema>;

const listSchema = z
  .array(regionSchema)
  .min(1)
  .refine((list) => list.filter((region) => region.role === 'write').length === 1, {
    error: 'exactly one region has role "write"',
  })
  .refine((list) => new Set(list.map((region) => region.name)).size === list.length, {
    error: 'region names are unique',
  });

/** Parses a region list; throws naming the first problem. The write region comes first. */
export function parseRegions(json: unknown): Region[] {
  const list = listSchema.parse(json);
  return [...list].sort((a, b) => (a.role === b.role ? 0 : a.role === 'write' ? -1 : 1));
}

export const REGIONS_FILE = new URL('../regions.json', import.meta.url);

/** Every region, the write region first, in the order of the file otherwise. */
export const REGIONS: readonly Region[] = parseRegions(JSON.parse(readFileSync(REGIONS_FILE, 'utf8')));

export const REGION_NAMES: readonly string[] = REGIONS.map((region) => region.name);

export const WRITE_REGION: Region = REGIONS.find((region) => region.role === 'write') as Region;

/** The region named `name`, or undefined. */
export function findRegion(name: string): Region | undefined {
  return REGIONS.find((region) => region.name === name);
}

/** Traffic Manager's endpoint host for a region's frontend. */
export function regionFqdn(region: Region): string {
  return `${region.dnsLabel}.${region.name}.cloudapp.azure.com`;
}
