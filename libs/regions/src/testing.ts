import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REGIONS_FILE, type RegionRecord } from './index.js';

/** Two regions the shipped list lacks, as a maintainer would add them: the record only, no theme. */
export const ADDED_REGIONS: readonly RegionRecord[] = [
  {
    name: 'brazilsouth',
    displayName: 'Brazil South',
    role: 'read',
    city: 'São Paulo',
    visitorLocation: 'brazil',
    coordinates: { latitude: -23.55, longitude: -46.633 },
  },
  {
    name: 'australiaeast',
    displayName: 'Australia East',
    role: 'read',
    city: 'Sydney',
    visitorLocation: 'australia',
    coordinates: { latitude: -33.86, longitude: 151.2094 },
  },
];

/**
 * A copy of the shipped regions.json with `added` appended, in a fresh temporary folder: point
 * REGIONS_FILE (or a function's list) at it. The caller removes the folder.
 */
export function regionsFileWith(added: readonly RegionRecord[] = ADDED_REGIONS): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'regions-'));
  const file = join(dir, 'regions.json');
  const shipped = JSON.parse(readFileSync(REGIONS_FILE, 'utf8')) as RegionRecord[];
  writeFileSync(file, `${JSON.stringify([...shipped, ...added], null, 2)}\n`);
  return { dir, file };
}
