import { randomUUID } from 'node:crypto';

/**
 * What Azure adds to a resource the caller PUT or PATCHed, per resource type (lower-cased): the
 * read-only properties the Azure CLI and the deploy scripts read back. Another resource type is
 * stored as it was sent. Add a type here when a script starts to read one of its computed fields.
 */

export interface ArmResource {
  id: string;
  name: string;
  type: string;
  location?: string;
  properties: Record<string, unknown>;
  [field: string]: unknown;
}

/** Azure's location names and display names (GET /subscriptions/<s>/locations), as far as tests use them. */
export const LOCATIONS: Readonly<Record<string, string>> = {
  westus: 'West US',
  westus2: 'West US 2',
  eastus: 'East US',
  uksouth: 'UK South',
  northeurope: 'North Europe',
  westeurope: 'West Europe',
  southeastasia: 'Southeast Asia',
  japaneast: 'Japan East',
  australiaeast: 'Australia East',
};

/** `West US`, `westus`, `WestUS` → `westus`: the name ARM takes for a location. */
export const locationName = (location: string): string => location.replace(/\s+/g, '').toLowerCase();
const displayName = (location: string): string => LOCATIONS[locationName(location)] ?? location;

interface CosmosLocation {
  locationName: string;
  failoverPriority: number;
  isZoneRedundant?: boolean;
}

/** Cosmos DB answers with display names, and derives write/read locations and failover policies. */
function completeCosmosAccount(account: ArmResource): void {
  const sent = (account.properties.locations ?? []) as CosmosLocation[];
  const locations = sent
    .map((location) => ({
      id: `${account.name}-${locationName(location.locationName)}`,
      locationName: displayName(location.locationName),
      documentEndpoint: `https://${account.name}-${locationName(location.locationName)}.documents.azure.com:443/`,
      provisioningState: 'Succeeded',
      failoverPriority: Number(location.failoverPriority),
      isZoneRedundant: location.isZoneRedundant ?? false,
    }))
    .sort((a, b) => a.failoverPriority - b.failoverPriority);
  const policies = locations.map(({ id, locationName, failoverPriority }) => ({ id, locationName, failoverPriority }));
  Object.assign(account.properties, {
    locations,
    failoverPolicies: policies,
    writeLocations: locations.slice(0, 1),
    readLocations: locations,
    documentEndpoint: `https://${account.name}.documents.azure.com:443/`,
  });
}

/** The kubelet identity `az aks update --attach-acr` grants AcrPull to, made once per cluster. */
function completeManagedCluster(cluster: ArmResource): void {
  const identityProfile = (cluster.properties.identityProfile ?? {}) as Record<string, unknown>;
  identityProfile.kubeletidentity ??= {
    resourceId: `${cluster.id}-agentpool`,
    clientId: randomUUID(),
    objectId: randomUUID(),
  };
  cluster.properties.identityProfile = identityProfile;
  cluster.properties.fqdn ??= `${cluster.name}-dns.hcp.${cluster.location}.azmk8s.io`;
  cluster.identity ??= { type: 'SystemAssigned', principalId: randomUUID(), tenantId: randomUUID() };
}

function completeRegistry(registry: ArmResource): void {
  registry.properties.loginServer = `${registry.name.toLowerCase()}.azurecr.io`;
}

function completeTrafficManagerProfile(profile: ArmResource): void {
  const dns = (profile.properties.dnsConfig ?? {}) as Record<string, unknown>;
  dns.fqdn = `${String(dns.relativeName ?? profile.name)}.trafficmanager.net`;
  profile.properties.dnsConfig = dns;
}

/** Azure names an endpoint's type in its own casing, whichever the request used (`az ... endpoint list` matches on it). */
function completeTrafficManagerEndpoint(endpoint: ArmResource): void {
  const kind = endpoint.type.split('/').at(-1)!.toLowerCase();
  const canonical = ['azureEndpoints', 'externalEndpoints', 'nestedEndpoints'].find(
    (name) => name.toLowerCase() === kind,
  );
  endpoint.type = `Microsoft.Network/trafficManagerProfiles/${canonical ?? kind}`;
}

/** A role assignment names the scope it was made at: the id before its provider segment. */
function completeRoleAssignment(assignment: ArmResource): void {
  assignment.properties.scope = assignment.id.slice(
    0,
    assignment.id.toLowerCase().lastIndexOf('/providers/microsoft.authorization/'),
  );
}

/** A public IP prefix gets its range at creation: a documentation-free, stable /<length> from its id. */
function completePublicIpPrefix(prefix: ArmResource): void {
  if (prefix.properties.ipPrefix) return;
  let hash = 0;
  for (const char of prefix.id.toLowerCase()) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  const length = Number(prefix.properties.prefixLength ?? 31);
  const size = 2 ** (32 - length);
  // 20.0.0.0/8, as Azure's public ranges: the block that holds the hash, aligned to the prefix's size.
  const offset = (hash % 2 ** 24) - ((hash % 2 ** 24) % size);
  prefix.properties.ipPrefix = `20.${offset >>> 16}.${(offset >>> 8) & 255}.${offset & 255}/${length}`;
}

/** Cosmos DB never returns a database user's password. */
function completeMongoUserDefinition(user: ArmResource): void {
  delete user.properties.password;
}

export const COMPLETE: Readonly<Record<string, (resource: ArmResource) => void>> = {
  'microsoft.network/publicipprefixes': completePublicIpPrefix,
  'microsoft.documentdb/databaseaccounts/mongodbuserdefinitions': completeMongoUserDefinition,
  'microsoft.documentdb/databaseaccounts': completeCosmosAccount,
  'microsoft.containerservice/managedclusters': completeManagedCluster,
  'microsoft.containerregistry/registries': completeRegistry,
  'microsoft.network/trafficmanagerprofiles': completeTrafficManagerProfile,
  'microsoft.network/trafficmanagerprofiles/azureendpoints': completeTrafficManagerEndpoint,
  'microsoft.network/trafficmanagerprofiles/externalendpoints': completeTrafficManagerEndpoint,
  'microsoft.network/trafficmanagerprofiles/nestedendpoints': completeTrafficManagerEndpoint,
  'microsoft.authorization/roleassignments': completeRoleAssignment,
};

/**
 * The resource providers the subscription lists, all registered (`az aks update
 * --enable-azure-monitor-metrics` registers those it needs that are not).
 */
export const PROVIDERS: readonly string[] = [
  'Microsoft.AlertsManagement',
  'Microsoft.ContainerRegistry',
  'Microsoft.ContainerService',
  'Microsoft.DocumentDB',
  'Microsoft.Insights',
  'Microsoft.Monitor',
  'Microsoft.Network',
];

/**
 * Resources Azure answers with their child resources inside, per type (lower-cased): the property that
 * holds them. A Traffic Manager profile lists its endpoints in `properties.endpoints`.
 */
export const EMBEDDED_CHILDREN: Readonly<Record<string, string>> = {
  'microsoft.network/trafficmanagerprofiles': 'endpoints',
};

/** Built-in role definitions the Azure CLI looks up by name (`--role`, `--attach-acr`). */
export const BUILT_IN_ROLES: Readonly<Record<string, string>> = {
  AcrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d',
  AcrPush: '8311e382-0749-4cb8-b61a-304f252e45ec',
  Contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
};
