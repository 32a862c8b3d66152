import { findRegion, REGION_NAMES, type Theme } from '@kubeonazure/regions';

/** The region a service runs for: one of the list in libs/regions, or `local` on a laptop. */
export interface ServiceRegion {
  /** Short name, as in `REGION` (`uksouth`, or `local`). */
  name: string;
  /** Azure display name: the `region` tag on Cosmos DB replicas (read preference, write region); null locally. */
  displayName: string | null;
  /** City, for the banner. */
  city: string;
  /** Banner text: "London · UK South". */
  label: string;
  /** The banner's colours and skyline (its record's, or derived); null locally, where the page's defaults apply. */
  theme: Theme | null;
}

/** `REGION=local`: development on one machine (`npm start`), with no replica tag to prefer. */
export const LOCAL_REGION = 'local';

/** Every value REGION may take. */
export const SERVICE_REGION_NAMES: [string, ...string[]] = [LOCAL_REGION, ...REGION_NAMES];

/** The region behind a REGION value; any name outside the list is `local`. */
export function serviceRegion(name: string): ServiceRegion {
  const region = findRegion(name);
  if (region === undefined)
    return {
      name: LOCAL_REGION,
      displayName: null,
      city: 'Local development',
      label: 'Local development',
      theme: null,
    };
  return {
    name: region.name,
    displayName: region.displayName,
    city: region.city,
    label: `${region.city} · ${region.displayName}`,
    theme: region.theme,
  };
}
