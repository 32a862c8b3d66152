import { themePath } from './theme.js';
import { findRegion, REGION_NAMES, type Theme } from '@kubeonazure/regions';

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
  /** The banner's colours and skyline (its record's, or derived); null locally: app.css's defaults. */
  theme: Theme | null;
  /** Where the page links the theme from; null with no theme. */
  themeHref: string | null;
}

export const LOCAL = 'local';

/** Every value REGION may take. */
export const SERVED_REGION_NAMES: [string, ...string[]] = [LOCAL, ...REGION_NAMES];

/** The region behind a REGION value; `local` is development on a laptop, with no read tag. */
export function servedRegion(name: string): ServedRegion {
  const region = findRegion(name);
  if (region === undefined)
    return {
      name: LOCAL,
      displayName: null,
      city: 'Local development',
      label: 'Local development',
      theme: null,
      themeHref: null,
    };
  return {
    name: region.name,
    displayName: region.displayName,
    city: region.city,
    label: `${region.city} · ${region.displayName}`,
    theme: region.theme,
    themeHref: themePath(region.name),
  };
}
