import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ArmResource, AzSession, FakeAzure, isReadAction, type RecordedRequest } from '@kubeonazure/fake-azure';
import { REGION_NAMES, REGIONS, WRITE_REGION } from '@kubeonazure/regions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './support.ts';

// The scripts run with the real Azure CLI (`az` on PATH, installed by .ci/run) against the Azure
// Resource Manager stand-in, and the tests assert the requests each run sent. Every az call costs
// 0.6-1.6 s on an idle machine, so each script runs only for the scenarios below, in this order,
// each starting from the state the previous one left.
const BACKING = `${repoRoot}deploy/azure/create-backing-services.sh`;
const CLUSTERS = `${repoRoot}deploy/aks/create-clusters.sh`;
const MONITORING = `${repoRoot}deploy/azure/create-monitoring.sh`;
const SCRIPT_TIMEOUT = 600_000;
const WRITE = WRITE_REGION.name;
// What the operator exports: the database users' passwords, the clusters' admin group and the
// addresses that may reach their API servers.
const SETTINGS = {
  COSMOS_FRONTEND_PASSWORD: randomBytes(24).toString('base64'),
  COSMOS_STREAMER_PASSWORD: randomBytes(24).toString('base64'),
  AKS_ADMIN_GROUP_ID: '6f1b7d3e-2c4a-4e8b-9d0f-1a2b3c4d5e6f',
  // az takes public, non-reserved ranges only (not the documentation ones).
  API_SERVER_AUTHORIZED_IP_RANGES: '20.30.40.0/24,52.10.20.30/32',
};
const PASSWORDS = [SETTINGS.COSMOS_FRONTEND_PASSWORD, SETTINGS.COSMOS_STREAMER_PASSWORD];
const USERS = ['frontend', 'streamer'];

let azure: FakeAzure;
let az: AzSession;
const scratch = mkdtempSync(join(tmpdir(), 'deploy-azure-cli-'));
// The region list with one more read region: the seam az.sh reads instead of libs/regions/regions.json.
const WITH_JAPAN = join(scratch, 'regions.json');
writeFileSync(
  WITH_JAPAN,
  JSON.stringify(
    [
      ...REGIONS,
      {
        name: 'japaneast',
        displayName: 'Japan East',
        role: 'read',
        city: 'Tokyo',
        dnsLabel: 'kubeonazure-japaneast',
        visitorLocation: 'asia',
      },
    ],
    null,
    2,
  ),
);

beforeAll(async () => {
  azure = await FakeAzure.start();
  az = await AzSession.login(azure);
}, 120_000);

afterAll(async () => {
  az?.close();
  await azure?.close();
  rmSync(scratch, { recursive: true, force: true });
});

const group = (name: string) => `/subscriptions/${azure.subscriptionId}/resourceGroups/${name}`;
const backing = (resource: string) => `${group('kubeonazure-backing')}/providers/${resource}`;
const ACCOUNT = 'Microsoft.DocumentDB/databaseAccounts/kubeonazure-cosmos';
const prefixOf = (region: string) =>
  `${group(`kubeonazure-${region}`)}/providers/Microsoft.Network/publicIPPrefixes/kubeonazure-${region}-egress`;
const clusterOf = (region: string) =>
  `${group(`kubeonazure-${region}`)}/providers/Microsoft.ContainerService/managedClusters/kubeonazure-${region}`;
/** The egress ranges Azure gave the regions' prefixes, in region order. */
const egressRanges = (regions: readonly string[]) =>
  regions.map((region) => String(azure.resource(prefixOf(region))!.properties.ipPrefix));
const sentTo = (requests: RecordedRequest[], method: string, id: string) =>
  requests.filter((request) => request.method === method && below(request.path) === below(id));
const bodyOf = (request: RecordedRequest | undefined) =>
  (request?.body as { properties: Record<string, any> })?.properties;
const PROFILE = 'Microsoft.Network/trafficmanagerprofiles/kubeonazure';
const roleOf = (user: string) => `${backing(ACCOUNT)}/mongodbRoleDefinitions/kubeonazure.${user}`;
const userOf = (user: string) => `${backing(ACCOUNT)}/mongodbUserDefinitions/kubeonazure.${user}`;
/** The body az sends for the role file of `user` (libs/tweet-model/cosmos/roles), in ARM's field names. */
function roleFileAsSent(user: string) {
  const role = JSON.parse(readFileSync(`${repoRoot}libs/tweet-model/cosmos/roles/${user}.json`, 'utf8'));
  return {
    roleName: role.RoleName,
    type: role.Type,
    databaseName: role.DatabaseName,
    privileges: role.Privileges.map(
      (privilege: { Resource: { Db: string; Collection: string }; Actions: string[] }) => ({
        resource: { db: privilege.Resource.Db, collection: privilege.Resource.Collection },
        actions: privilege.Actions,
      }),
    ),
    roles: [],
  };
}
/** What a user's body holds: the role of its name, its password from the environment. */
const userAsSent = (user: string) => ({
  userName: user,
  password: SETTINGS[`COSMOS_${user.toUpperCase()}_PASSWORD` as keyof typeof SETTINGS],
  databaseName: 'kubeonazure',
  mechanisms: 'SCRAM-SHA-256',
  roles: [{ role: user, db: 'kubeonazure' }],
});
const REGISTRY = 'Microsoft.ContainerRegistry/registries/kubeonazureacr';
const WORKSPACE = 'Microsoft.Monitor/accounts/kubeonazure-monitor';

/** Runs a script with the real az against the stand-in: its result, and the writes it sent. */
async function converge(script: string, env: Record<string, string> = {}) {
  const before = azure.requests.length;
  const result = await az.run([script], { ...SETTINGS, ...env }, '/bin/bash');
  // No password in what the script printed, whatever it did.
  for (const password of PASSWORDS) expect(result.stdout + result.stderr).not.toContain(password);
  const sent = azure.requests.slice(before);
  const writes = sent.filter((request) => request.method !== 'GET' && !isReadAction(request));
  return { ...result, sent, writes, summary: writes.map(summarize) };
}

/** `PUT <path below the subscription, lower case>`, role assignments' random names as `<id>`. */
const summarize = (request: RecordedRequest) =>
  `${request.method} ${request.path
    .toLowerCase()
    .replace(/^\/subscriptions\/[^/]+/, '')
    .replace(/\/roleassignments\/[^/]+$/, '/roleassignments/<id>')}`;

const below = (path: string) => path.toLowerCase().replace(/^\/subscriptions\/[^/]+/, '');

interface SentLocation {
  locationName: string;
  failoverPriority: number;
}
/** The probe a Traffic Manager profile request body asks for: protocol, port, path. */
const probeSent = (request: RecordedRequest) => {
  const { protocol, port, path } = (
    request.body as { properties: { monitorConfig: { protocol: string; port: number; path: string } } }
  ).properties.monitorConfig;
  return { protocol, port, path };
};
// HTTPS on 443: every overlay serves HTTPS (components/tls), and its plain HTTP only redirects.
const HTTPS_PROBE = { protocol: 'HTTPS', port: 443, path: '/healthz' };

const locationsSent = (request: RecordedRequest) =>
  ((request.body as { properties: { locations: SentLocation[] } }).properties.locations ?? []).map(
    (location) => `${location.locationName}=${location.failoverPriority}`,
  );

const kubeletOf = (region: string): string => {
  const cluster = azure.resource(clusterOf(region))!;
  return (cluster.properties.identityProfile as { kubeletidentity: { objectId: string } }).kubeletidentity.objectId;
};

const acrPullHolders = (): string[] =>
  [...azure.resources.values()]
    .filter((resource) => resource.type === 'Microsoft.Authorization/roleAssignments')
    .filter((assignment) =>
      String(assignment.properties.roleDefinitionId).endsWith('/7f951dda-4ed3-4680-a7ca-43fe172d538d'),
    )
    .filter((assignment) => assignment.properties.scope === backing(REGISTRY))
    .map((assignment) => String(assignment.properties.principalId));

/**
 * The writes of `az aks update --enable-azure-monitor-metrics` for a region's cluster: the data
 * collection endpoint and rule (named after the workspace's region), their association with the
 * cluster, and the cluster PUT that turns managed Prometheus on.
 */
const managedPrometheusWrites = (region: string) => {
  const insights = `${below(group(`kubeonazure-${region}`))}/providers/microsoft.insights`;
  const name = `msprom-${azure.resource(backing(WORKSPACE))!.location}-kubeonazure-${region}`;
  return [
    `PUT ${insights}/datacollectionendpoints/${name}`,
    `PUT ${insights}/datacollectionrules/${name}`,
    `PUT ${below(clusterOf(region))}/providers/microsoft.insights/datacollectionruleassociations/containerinsightsmetricsextension`,
    `PUT ${below(clusterOf(region))}`,
  ];
};

const metricsEnabled = (region: string) =>
  (azure.resource(clusterOf(region))!.properties.azureMonitorProfile as { metrics?: { enabled?: boolean } } | undefined)
    ?.metrics?.enabled;

describe('the Azure scripts with the real Azure CLI against Azure Resource Manager (stand-in)', () => {
  it(
    'first run: creates every resource group and service, the monitoring workspace, then the clusters with registry access and managed Prometheus',
    async () => {
      const services = await converge(BACKING);
      expect(services.stderr).toBe('');
      expect(services.status).toBe(0);
      expect(services.summary).toEqual([
        `PUT ${below(group('kubeonazure-backing'))}`,
        ...REGION_NAMES.map((region) => `PUT ${below(group(`kubeonazure-${region}`))}`),
        `PUT ${below(backing(REGISTRY))}`,
        `PUT ${below(backing(REGISTRY))}/replications/uksouth`,
        `PUT ${below(backing(REGISTRY))}/replications/southeastasia`,
        ...REGION_NAMES.map((region) => `PUT ${below(prefixOf(region))}`),
        `PUT ${below(backing(ACCOUNT))}`,
        `PUT ${below(backing(ACCOUNT))}/mongodbdatabases/kubeonazure`,
        `PUT ${below(backing(ACCOUNT))}/mongodbdatabases/kubeonazure/collections/tweets`,
        ...USERS.flatMap((user) => [
          `PUT ${below(backing(ACCOUNT))}/mongodbroledefinitions/kubeonazure.${user}`,
          `PUT ${below(backing(ACCOUNT))}/mongodbuserdefinitions/kubeonazure.${user}`,
        ]),
        `PUT ${below(backing(PROFILE))}`,
        ...REGION_NAMES.map((region) => `PUT ${below(backing(PROFILE))}/externalendpoints/${region}`),
      ]);
      const account = services.writes.find((request) => summarize(request) === `PUT ${below(backing(ACCOUNT))}`)!;
      expect(locationsSent(account)).toEqual(['westus=0', 'uksouth=1', 'southeastasia=2']);
      const profile = services.writes.find((request) => summarize(request) === `PUT ${below(backing(PROFILE))}`)!;
      expect(probeSent(profile)).toEqual(HTTPS_PROBE);
      // Role-based users only, no keys, no key-based metadata writes, the clusters' egress prefixes only.
      expect(bodyOf(account)).toMatchObject({
        capabilities: [{ name: 'EnableMongoRoleBasedAccessControl' }],
        disableLocalAuth: true,
        disableKeyBasedMetadataWriteAccess: true,
        ipRules: egressRanges(REGION_NAMES).map((range) => ({ ipAddressOrRange: range })),
      });
      expect(egressRanges(REGION_NAMES).every((range) => /^20\.\d+\.\d+\.\d+\/31$/.test(range))).toBe(true);
      // The indexes, as the one file says.
      const collection = sentTo(
        services.writes,
        'PUT',
        `${backing(ACCOUNT)}/mongodbDatabases/kubeonazure/collections/tweets`,
      )[0];
      expect(bodyOf(collection).resource.indexes.map((index: { key: { keys: string[] } }) => index.key.keys)).toEqual(
        JSON.parse(readFileSync(`${repoRoot}libs/tweet-model/cosmos/tweets-indexes.json`, 'utf8')).map(
          (index: { key: { keys: string[] } }) => index.key.keys,
        ),
      );
      for (const user of USERS) {
        // Each role as its file says; each user holding the role of its name, with its password.
        expect(bodyOf(sentTo(services.writes, 'PUT', roleOf(user))[0])).toEqual(roleFileAsSent(user));
        expect(bodyOf(sentTo(services.writes, 'PUT', userOf(user))[0])).toMatchObject(userAsSent(user));
        // As Cosmos DB, the stand-in never gives a password back.
        expect(azure.resource(userOf(user))!.properties.password).toBeUndefined();
      }

      // The workspace managed Prometheus is linked to (deploy/test/azure-monitoring.test.ts checks the rest).
      const monitoring = await converge(MONITORING);
      expect(monitoring.status).toBe(0);
      expect(monitoring.summary[0]).toBe(`PUT ${below(backing(WORKSPACE))}`);
      const workspaceId = azure.resource(backing(WORKSPACE))!.id.toLowerCase();

      const clusters = await converge(CLUSTERS);
      expect(clusters.status).toBe(0);
      const clusterPuts = REGION_NAMES.map((region) => `PUT ${below(clusterOf(region))}`);
      expect([...new Set(clusters.summary.filter((write) => clusterPuts.includes(write)))]).toEqual(clusterPuts);
      expect(new Set(acrPullHolders())).toEqual(new Set(REGION_NAMES.map(kubeletOf)));
      // Managed Prometheus on every cluster, each data collection rule writing to the one workspace.
      for (const region of REGION_NAMES) {
        const [endpoint, rule, association] = managedPrometheusWrites(region);
        expect(
          clusters.summary.filter((write) => write.includes(`/kubeonazure-${region}/providers/microsoft.insights/`)),
        ).toEqual([endpoint, rule, association]);
        expect(metricsEnabled(region)).toBe(true);
        const ruleBody = clusters.writes.find((write) => summarize(write) === rule)!.body as {
          properties: { destinations: { monitoringAccounts: { accountResourceId: string }[] } };
        };
        expect(
          ruleBody.properties.destinations.monitoringAccounts.map((account) => account.accountResourceId.toLowerCase()),
        ).toEqual([workspaceId]);
        // Entra ID only, with the admin group; the authorized ranges; outbound from the region's prefix.
        expect(bodyOf(sentTo(clusters.writes, 'PUT', clusterOf(region))[0])).toMatchObject({
          aadProfile: { managed: true, adminGroupObjectIDs: [SETTINGS.AKS_ADMIN_GROUP_ID] },
          disableLocalAccounts: true,
          apiServerAccessProfile: { authorizedIPRanges: SETTINGS.API_SERVER_AUTHORIZED_IP_RANGES.split(',') },
          networkProfile: {
            loadBalancerProfile: { outboundIPPrefixes: { publicIPPrefixes: [{ id: prefixOf(region) }] } },
          },
        });
      }
    },
    SCRIPT_TIMEOUT,
  );

  it(
    'a re-run with nothing changed makes no writes: not even a resource group PUT or a registry attach',
    async () => {
      const services = await converge(BACKING);
      expect(services.status).toBe(0);
      expect(services.summary).toEqual([]);
      const clusters = await converge(CLUSTERS);
      expect(clusters.status).toBe(0);
      expect(clusters.summary).toEqual([]);
    },
    SCRIPT_TIMEOUT,
  );

  it(
    'a re-run converges the database roles and users: a drifted role is set back to its file, a missing user created, then nothing',
    async () => {
      // The frontend's role given insert on tweets (by hand, or by the file of an older commit), and
      // the streamer's user gone.
      const role = azure.resource(roleOf('frontend'))!;
      const drifted = [{ resource: { db: 'kubeonazure', collection: 'tweets' }, actions: ['find', 'insert'] }];
      azure.put(role.id, { ...role, properties: { ...role.properties, privileges: drifted } });
      azure.resources.delete(userOf('streamer').toLowerCase());

      const services = await converge(BACKING);
      expect(services.status).toBe(0);
      expect(services.summary).toEqual([`PUT ${below(roleOf('frontend'))}`, `PUT ${below(userOf('streamer'))}`]);
      expect(bodyOf(services.writes[0])).toEqual(roleFileAsSent('frontend'));
      expect(bodyOf(services.writes[1])).toMatchObject(userAsSent('streamer'));
      expect(azure.resource(roleOf('frontend'))!.properties.privileges).toEqual(roleFileAsSent('frontend').privileges);

      // What the update wrote reads back as the file: the next run writes nothing.
      expect((await converge(BACKING)).summary).toEqual([]);
    },
    SCRIPT_TIMEOUT,
  );

  it(
    'a re-run after a region was added adds it everywhere, the Cosmos DB location with the next priority',
    async () => {
      const services = await converge(BACKING, { REGIONS_FILE: WITH_JAPAN });
      expect(services.status).toBe(0);
      expect(services.summary).toEqual([
        `PUT ${below(group('kubeonazure-japaneast'))}`,
        `PUT ${below(backing(REGISTRY))}/replications/japaneast`,
        `PUT ${below(prefixOf('japaneast'))}`,
        `PATCH ${below(backing(ACCOUNT))}`,
        // The firewall gains the new region's egress prefix.
        `PATCH ${below(backing(ACCOUNT))}`,
        `PUT ${below(backing(PROFILE))}/externalendpoints/japaneast`,
      ]);
      expect(locationsSent(services.writes[3]!)).toEqual(['westus=0', 'uksouth=1', 'southeastasia=2', 'japaneast=3']);
      expect(bodyOf(services.writes[4]).ipRules).toEqual(
        egressRanges([...REGION_NAMES, 'japaneast']).map((range) => ({ ipAddressOrRange: range })),
      );

      const clusters = await converge(CLUSTERS, { REGIONS_FILE: WITH_JAPAN });
      expect(clusters.status).toBe(0);
      // Japan's cluster and its managed Prometheus, and nothing of the other regions.
      for (const write of clusters.writes) {
        if (summarize(write).includes('/roleassignments/')) {
          expect((write.body as { properties: { principalId: string } }).properties.principalId).toBe(
            kubeletOf('japaneast'),
          );
        } else {
          expect(managedPrometheusWrites('japaneast')).toContain(summarize(write));
        }
      }
      expect(acrPullHolders()).toContain(kubeletOf('japaneast'));
      expect(metricsEnabled('japaneast')).toBe(true);
    },
    SCRIPT_TIMEOUT,
  );

  it(
    'after a failover to uksouth a re-run keeps uksouth writing, and repairs drifted Traffic Manager settings (an HTTP probe too)',
    async () => {
      const account = azure.resource(backing(ACCOUNT))!;
      const failedOver = (account.properties.locations as SentLocation[]).map((location) => ({
        ...location,
        failoverPriority: { 'West US': 1, 'UK South': 0 }[location.locationName] ?? location.failoverPriority,
      }));
      azure.put(account.id, { ...account, properties: { ...account.properties, locations: failedOver } });
      const profile = azure.resource(backing(PROFILE))!;
      // And the probe a profile made before every region served HTTPS has: HTTP on 80.
      const monitorConfig = {
        ...(profile.properties.monitorConfig as object),
        intervalInSeconds: 30,
        protocol: 'HTTP',
        port: 80,
      };
      azure.put(profile.id, { ...profile, properties: { ...profile.properties, monitorConfig } });

      const services = await converge(BACKING, { REGIONS_FILE: WITH_JAPAN });
      expect(services.status).toBe(0);
      expect(services.summary).toEqual([`PUT ${below(backing(PROFILE))}`]);
      expect(probeSent(services.writes[0]!)).toEqual(HTTPS_PROBE);
      const after = azure.resource(backing(ACCOUNT)) as ArmResource;
      expect((after.properties.writeLocations as SentLocation[])[0]!.locationName).toBe('UK South');
      expect(azure.resource(backing(PROFILE))!.properties.monitorConfig).toMatchObject({
        ...HTTPS_PROBE,
        intervalInSeconds: 10,
      });
    },
    SCRIPT_TIMEOUT,
  );

  it(
    'a re-run enables managed Prometheus again on a cluster where it was turned off, and writes nothing else',
    async () => {
      const cluster = azure.resource(clusterOf('uksouth'))!;
      azure.put(cluster.id, {
        ...cluster,
        properties: { ...cluster.properties, azureMonitorProfile: { metrics: { enabled: false } } },
      });
      const clusters = await converge(CLUSTERS, { REGIONS_FILE: WITH_JAPAN });
      expect(clusters.status).toBe(0);
      expect(clusters.summary).toEqual(managedPrometheusWrites('uksouth'));
      expect(metricsEnabled('uksouth')).toBe(true);
    },
    SCRIPT_TIMEOUT,
  );

  it(
    'an account and a cluster made before are brought to role-based users, no keys (regenerated once) and Entra ID only',
    async () => {
      // As the scripts left them before: account keys on, no users, open to every address; a
      // cluster with local accounts, no Entra ID, a public API server, default outbound addresses.
      const account = azure.resource(backing(ACCOUNT))!;
      azure.put(account.id, {
        ...account,
        properties: {
          ...account.properties,
          capabilities: [{ name: 'EnableMongo' }],
          disableLocalAuth: false,
          disableKeyBasedMetadataWriteAccess: false,
          ipRules: [],
        },
      });
      for (const user of USERS)
        for (const kind of ['mongodbRoleDefinitions', 'mongodbUserDefinitions'])
          azure.resources.delete(`${backing(ACCOUNT)}/${kind}/kubeonazure.${user}`.toLowerCase());
      const cluster = azure.resource(clusterOf(WRITE))!;
      const {
        aadProfile: _aad,
        disableLocalAccounts: _local,
        apiServerAccessProfile: _api,
        ...rest
      } = cluster.properties;
      azure.put(cluster.id, { ...cluster, properties: { ...rest, networkProfile: {} } });

      // Moving a running system: users and firewall first, the keys kept for one run.
      const kept = await converge(BACKING, { REGIONS_FILE: WITH_JAPAN, KEEP_ACCOUNT_KEYS: '1' });
      expect(kept.status).toBe(0);
      expect(kept.summary).toEqual([
        `PATCH ${below(backing(ACCOUNT))}`,
        `PATCH ${below(backing(ACCOUNT))}`,
        ...USERS.flatMap((user) => [
          `PUT ${below(backing(ACCOUNT))}/mongodbroledefinitions/kubeonazure.${user}`,
          `PUT ${below(backing(ACCOUNT))}/mongodbuserdefinitions/kubeonazure.${user}`,
        ]),
      ]);
      // The capabilities it had are kept.
      expect(bodyOf(kept.writes[0]).capabilities).toEqual([
        { name: 'EnableMongo' },
        { name: 'EnableMongoRoleBasedAccessControl' },
      ]);
      expect(bodyOf(kept.writes[1])).toMatchObject({
        disableKeyBasedMetadataWriteAccess: true,
        ipRules: egressRanges([...REGION_NAMES, 'japaneast']).map((range) => ({ ipAddressOrRange: range })),
      });
      expect(azure.resource(backing(ACCOUNT))!.properties.disableLocalAuth).toBe(false);

      // Then the keys go: local auth off, and every key regenerated, in that run only.
      const keysOff = await converge(BACKING, { REGIONS_FILE: WITH_JAPAN });
      expect(keysOff.status).toBe(0);
      expect(keysOff.summary).toEqual([
        `PATCH ${below(backing(ACCOUNT))}`,
        ...['primary', 'secondary', 'primaryReadonly', 'secondaryReadonly'].map(
          () => `POST ${below(backing(ACCOUNT))}/regeneratekey`,
        ),
      ]);
      expect(bodyOf(keysOff.writes[0])).toMatchObject({ disableLocalAuth: true });
      expect(keysOff.writes.slice(1).map((request) => (request.body as { keyKind: string }).keyKind)).toEqual([
        'primary',
        'secondary',
        'primaryReadonly',
        'secondaryReadonly',
      ]);
      expect((await converge(BACKING, { REGIONS_FILE: WITH_JAPAN })).summary).toEqual([]);

      // The cluster: one update to Entra ID only, the authorized ranges and its egress prefix.
      const clusters = await converge(CLUSTERS, { REGIONS_FILE: WITH_JAPAN });
      expect(clusters.status).toBe(0);
      expect(clusters.summary).toEqual([`PUT ${below(clusterOf(WRITE))}`]);
      expect(bodyOf(clusters.writes[0])).toMatchObject({
        aadProfile: { managed: true, adminGroupObjectIDs: [SETTINGS.AKS_ADMIN_GROUP_ID] },
        disableLocalAccounts: true,
        apiServerAccessProfile: { authorizedIPRanges: SETTINGS.API_SERVER_AUTHORIZED_IP_RANGES.split(',') },
        networkProfile: {
          loadBalancerProfile: { outboundIPPrefixes: { publicIPPrefixes: [{ id: prefixOf(WRITE) }] } },
        },
      });
      expect((await converge(CLUSTERS, { REGIONS_FILE: WITH_JAPAN })).summary).toEqual([]);
      // With local accounts off there is no admin credential to fetch.
      const admin = await az.run([
        'aks',
        'get-credentials',
        '--admin',
        '--name',
        `kubeonazure-${WRITE}`,
        '--resource-group',
        `kubeonazure-${WRITE}`,
      ]);
      expect(admin.status).not.toBe(0);
      expect(admin.stderr).toContain('disable local accounts');
    },
    SCRIPT_TIMEOUT,
  );

  it(
    'a show failing with another error than "not found" stops the script with that error, creating nothing',
    async () => {
      azure.faults.set(backing(ACCOUNT).toLowerCase(), {
        status: 403,
        code: 'AuthorizationFailed',
        message:
          "The client does not have authorization to perform action 'Microsoft.DocumentDB/databaseAccounts/read'.",
      });
      try {
        const services = await converge(BACKING, { REGIONS_FILE: WITH_JAPAN });
        expect(services.status).not.toBe(0);
        expect(services.stderr).toContain('(AuthorizationFailed)');
        expect(services.summary).toEqual([]);
        // Nothing after the failed show ran: it was the last request.
        expect(below(services.sent.at(-1)!.path)).toBe(below(backing(ACCOUNT)));
      } finally {
        azure.faults.clear();
      }
    },
    SCRIPT_TIMEOUT,
  );
});
