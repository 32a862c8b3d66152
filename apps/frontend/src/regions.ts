import { findRegion, REGION_NAMES } from '@kubeonazure/regions';

/** The region a frontend serves: one of the list in libs/regions, or `local` on a laptop. */
export interface ServedRegion {
  /** Short name, as in `REGION` (`uksouth`). */
  name: string;
  /** Azure display name: the `region` tag on Cosmos DB replicas, for the read preference; null locally. */
  displayName: string | null;
  /** City, for the banner. */
  city: string;
  /** Banner text: "London · UK South". */
  label: string;
}

export const LOCAL = 'local';

/** Every value REGION may take. */
export const SERVED_REGION_NAMES: [string, ...string[]] = [LOCAL, ...REGION_NAMES];

/** The region behind a REGION value; `local` is development on a laptop, with no read tag. */
export function servedRegion(name: string): ServedRegion {
  const region = findRegion(name);
  if (region === undefined)
    return { name: LOCAL, displayName: null, city: 'Local development', label: 'Local development' };
  return {
    name: region.name,
    displayName: region.displayName,
    city: region.city,
    label: `${region.city} · ${region.displayName}`,
  };
}
