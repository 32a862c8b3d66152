import { REGIONS as AZURE_REGIONS } from '@kubeonazure/regions';

/** A region a frontend can serve, named by `REGION`. */
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

/** Every Azure region of `@kubeonazure/regions`, and `local`: development on a laptop, no read tag. */
export const REGIONS: readonly Region[] = [
  ...AZURE_REGIONS.map((azure) => region(azure.name, azure.city, azure.displayName)),
  region('local', 'Local development', null),
];

export const REGION_NAMES = REGIONS.map((r) => r.name) as [string, ...string[]];

/** The region named `name`; throws for an unknown name. */
export function regionNamed(name: string): Region {
  const found = REGIONS.find((r) => r.name === name);
  if (!found) throw new RangeError(`unknown region ${name}`);
  return found;
}
