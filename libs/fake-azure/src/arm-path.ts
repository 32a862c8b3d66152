/**
 * Reading Azure Resource Manager paths: which resource (or collection of resources) a request names.
 * ARM ids are case-insensitive, and the Azure CLI spells them differently from command to command
 * (`resourcegroups`/`resourceGroups`, `externalEndpoints`/`ExternalEndpoints`), so every key here
 * is lower-cased while the id keeps the casing it was created with.
 */

export interface ArmPath {
  /** The id as requested, without a trailing slash. */
  id: string;
  /** The lower-cased id: the key resources are stored under. */
  key: string;
  subscriptionId: string;
  /** Undefined for subscription-level paths. */
  resourceGroup?: string;
  /** e.g. `Microsoft.DocumentDB/databaseAccounts/mongodbDatabases`, `Microsoft.Resources/resourceGroups`. */
  type: string;
  /** The last segment's name; undefined when the path names a collection (a list). */
  name?: string;
  /** The lower-cased id of the resource this one is a child or extension of, if any. */
  parentKey?: string;
  /** The scope an extension resource (role assignment, role definition) hangs off, lower-cased. */
  scopeKey?: string;
}

const RESOURCE_GROUPS = 'Microsoft.Resources/resourceGroups';

export function parseArmPath(pathname: string): ArmPath | undefined {
  const id = pathname.replace(/\/+$/, '').replace(/^\/+/, '/');
  const segments = id.split('/').slice(1);
  if (segments[0]?.toLowerCase() !== 'subscriptions' || !segments[1]) return undefined;
  const subscriptionId = segments[1];
  const key = id.toLowerCase();
  const group = segments[2]?.toLowerCase() === 'resourcegroups' ? segments[3] : undefined;
  const providerAt = segments.map((segment) => segment.toLowerCase()).lastIndexOf('providers');
  if (providerAt < 0) {
    // /subscriptions/<s>/resourcegroups[/<g>]
    if (segments.length < 3 || segments.length > 4 || segments[2]?.toLowerCase() !== 'resourcegroups') return undefined;
    return {
      id,
      key,
      subscriptionId,
      type: RESOURCE_GROUPS,
      ...(group === undefined ? {} : { resourceGroup: group, name: group }),
    };
  }
  const namespace = segments[providerAt + 1];
  const rest = segments.slice(providerAt + 2);
  if (!namespace || rest.length === 0) return undefined;
  const types = rest.filter((_, index) => index % 2 === 0);
  const isResource = rest.length % 2 === 0;
  const scope = `/${segments.slice(0, providerAt).join('/')}`.toLowerCase();
  const parentSegments = isResource ? segments.length - 2 : segments.length - 1;
  const parent = `/${segments.slice(0, parentSegments).join('/')}`.toLowerCase();
  return {
    id,
    key,
    subscriptionId,
    ...(group === undefined ? {} : { resourceGroup: group }),
    type: `${namespace}/${types.join('/')}`,
    ...(isResource ? { name: rest.at(-1)! } : {}),
    // A top-level resource has no parent, only its scope (the resource group, or the resource it extends).
    ...(types.length > 1 ? { parentKey: parent } : {}),
    scopeKey: scope,
  };
}

export function resourceGroupKey(subscriptionId: string, group: string): string {
  return `/subscriptions/${subscriptionId}/resourcegroups/${group}`.toLowerCase();
}
