/** The regions a frontend can serve, keyed by the short name in `REGION`. */
export interface Region {
  /** Short Azure name, as in `REGION` (`uksouth`). */
  name: string;
  /** Azure display name: the `region` tag on Cosmos DB replicas, used for the read preference. */
  azureName: string | null;
  /** City, for the banner. */
  city: string;
  /** Banner text: "London · UK South". */
  label: string;
}

function region(name: string, city: string, azureName: string | null): Region {
  return { name, azureName, city, label: azureName ? `${city} · ${azureName}` : city };
}

export const REGIONS = {
  westus: region('westus', 'California', 'West US'),
  uksouth: region('uksouth', 'London', 'UK South'),
  southeastasia: region('southeastasia', 'Singapore', 'Southeast Asia'),
  // Development on a laptop: no Azure region, so no read tag.
  local: region('local', 'Local development', null),
} as const satisfies Record<string, Region>;

export type RegionName = keyof typeof REGIONS;

export const REGION_NAMES = Object.keys(REGIONS) as RegionName[];
