import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REGION_NAMES, REGIONS, regionFqdn, WRITE_REGION } from '@kubeonazure/regions';
import { commandLines, renderOverlay, repoRoot, run } from './support.ts';

const BACKING = `${repoRoot}deploy/azure/create-backing-services.sh`;
const CLUSTERS = `${repoRoot}deploy/aks/create-clusters.sh`;
const MONITORING = `${repoRoot}deploy/azure/create-monitoring.sh`;
const BASH = '/bin/bash';

const scratch = mkdtempSync(join(tmpdir(), 'deploy-az-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
// An az that must never run: the scripts check their settings before any Azure call.
mkdirSync(join(scratch, 'bin'));
writeFileSync(join(scratch, 'bin', 'az'), '#!/bin/sh\necho "az ran" >&2\nexit 99\n', { mode: 0o755 });
const WITH_STUB_AZ = { PATH: `${join(scratch, 'bin')}:/usr/bin:/bin` };

/** `show ... || create ...` lines: the command that makes the change. */
function whatRuns(line: string): string {
  return line.split(' || ').at(-1)!;
}

function flagValues(line: string, flag: string): string[] {
  const words = line.split(' ');
  return words.flatMap((word, index) => (word === flag ? [words[index + 1]!] : []));
}

describe('deploy/azure/create-backing-services.sh', () => {
  const dryRun = run(BASH, [BACKING], { DRY_RUN: '1' });
  const lines = commandLines(dryRun.stdout);
  const creating = (what: string) => lines.map(whatRuns).filter((line) => line.startsWith(`az ${what} create `));

  it('prints every command in a dry run, and only az commands', () => {
    expect(dryRun.status).toBe(0);
    expect(dryRun.stderr).toBe('');
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) expect(line).toMatch(/^az /);
  });

  it('creates the backing resource group and one per regional cluster', () => {
    expect(creating('group').map((line) => flagValues(line, '--name')[0])).toEqual([
      'kubeonazure-backing',
      ...REGION_NAMES.map((region) => `kubeonazure-${region}`),
    ]);
  });

  it('creates a Premium registry in the write region, replicated to the others', () => {
    const [registry] = creating('acr');
    expect(registry).toContain('--sku Premium');
    expect(flagValues(registry!, '--location')).toEqual([WRITE_REGION.name]);
    expect(registry).toContain('--admin-enabled false');
    expect(creating('acr replication').map((line) => flagValues(line, '--location')[0])).toEqual(
      REGION_NAMES.filter((region) => region !== WRITE_REGION.name),
    );
  });

  it('creates Cosmos DB for MongoDB >= 5.0, failover priorities in list order (write region 0), automatic failover', () => {
    const [account] = creating('cosmosdb');
    expect(flagValues(account!, '--kind')).toEqual(['MongoDB']);
    expect(Number(flagValues(account!, '--server-version')[0])).toBeGreaterThanOrEqual(5);
    expect(account).toContain('--enable-automatic-failover true');
    const locations = [...account!.matchAll(/--locations regionName=(\w+) failoverPriority=(\d)/g)].map(
      ([, region, priority]) => `${region}=${priority}`,
    );
    expect(locations).toEqual(REGION_NAMES.map((region, priority) => `${region}=${priority}`));
  });

  it('creates the kubeonazure database and the tweets collection with the newest-first sort index', () => {
    expect(flagValues(creating('cosmosdb mongodb database')[0]!, '--name')).toEqual(['kubeonazure']);
    const [collection] = creating('cosmosdb mongodb collection');
    expect(flagValues(collection!, '--database-name')).toEqual(['kubeonazure']);
    expect(flagValues(collection!, '--name')).toEqual(['tweets']);
    // The one definition the streamer's ensureIndexes reads too, sent as it is.
    const file = flagValues(collection!, '--idx')[0]!.replace(/^@/, '');
    expect(file).toMatch(/libs\/tweet-model\/cosmos\/tweets-indexes\.json$/);
    const indexes = JSON.parse(readFileSync(file, 'utf8')) as { key: { keys: string[] } }[];
    expect(indexes.map((index) => index.key.keys)).toEqual([['_id'], ['created_at', '_id']]);
  });

  it("creates the account with role-based users, no keys, no key-based metadata writes, behind the clusters' egress prefixes", () => {
    const [account] = creating('cosmosdb');
    expect(flagValues(account!, '--capabilities')).toEqual(['EnableMongoRoleBasedAccessControl']);
    expect(flagValues(account!, '--disable-local-auth')).toEqual(['true']);
    expect(flagValues(account!, '--disable-key-based-metadata-write-access')).toEqual(['true']);
    // In a dry run the prefixes do not exist yet: their ranges are named, in region order.
    expect(account).toContain(
      `--ip-range-filter '${REGION_NAMES.map((region) => `<${region} egress prefix>`).join(',')}'`,
    );
    expect(creating('network public-ip prefix').map((line) => flagValues(line, '--name')[0])).toEqual(
      REGION_NAMES.map((region) => `kubeonazure-${region}-egress`),
    );
    // The prefixes exist before the account that admits them.
    const order = lines.map(whatRuns);
    expect(order.findIndex((line) => line.startsWith('az network public-ip prefix create'))).toBeLessThan(
      order.findIndex((line) => line.startsWith('az cosmosdb create')),
    );
  });

  it("creates each app's role from its file and its user with the body on stdin, no password in the dry run", () => {
    const roles = creating('cosmosdb mongodb role definition');
    expect(roles.map((line) => flagValues(line, '--body')[0]!.replace(/^@.*\/libs\//, 'libs/'))).toEqual([
      'libs/tweet-model/cosmos/roles/frontend.json',
      'libs/tweet-model/cosmos/roles/streamer.json',
    ]);
    const users = creating('cosmosdb mongodb user definition');
    expect(users).toHaveLength(2);
    for (const user of users) expect(flagValues(user, '--body')).toEqual(['@/dev/stdin']);
    expect(dryRun.stdout).not.toMatch(/Password/i);
  });

  it("needs the users' passwords when not a dry run, and names a bad one without echoing it", () => {
    const secret = 'short';
    const bad = run(BASH, [BACKING], {
      ...WITH_STUB_AZ,
      COSMOS_FRONTEND_PASSWORD: secret,
      COSMOS_STREAMER_PASSWORD: secret,
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual([
      'COSMOS_FRONTEND_PASSWORD must be set to 24-128 letters, digits or _~.+/=- (e.g. openssl rand -base64 32)',
    ]);
    expect(bad.stderr).not.toContain(secret);
  });

  it('routes by latency through Traffic Manager to each region DNS label, checking /healthz', () => {
    const [profile] = creating('network traffic-manager profile');
    expect(flagValues(profile!, '--routing-method')).toEqual(['Performance']);
    expect(Number(flagValues(profile!, '--ttl')[0])).toBeLessThanOrEqual(60);
    // The frontend's TLS port on the Service (components/tls); plain HTTP only redirects.
    expect(flagValues(profile!, '--protocol')).toEqual(['HTTPS']);
    expect(flagValues(profile!, '--port')).toEqual(['443']);
    expect(flagValues(profile!, '--path')).toEqual(['/healthz']);
    const endpoints = creating('network traffic-manager endpoint');
    expect(endpoints).toHaveLength(REGION_NAMES.length);
    for (const [index, region] of REGION_NAMES.entries()) {
      const endpoint = endpoints[index]!;
      expect(flagValues(endpoint, '--type')).toEqual(['externalEndpoints']);
      expect(flagValues(endpoint, '--endpoint-location')).toEqual([region]);
      // The target is the FQDN that region's Service annotation asks Azure for.
      const service = renderOverlay(region).find((object) => object.kind === 'Service')!;
      const label = service.metadata.annotations?.['service.beta.kubernetes.io/azure-dns-label-name'];
      expect(flagValues(endpoint, '--target')).toEqual([`${label}.${region}.cloudapp.azure.com`]);
      expect(flagValues(endpoint, '--target')).toEqual([regionFqdn(REGIONS[index]!)]);
    }
  });

  it('takes every name from the environment', () => {
    const custom = run(BASH, [BACKING], {
      DRY_RUN: '1',
      PREFIX: 'contoso',
      ACR_NAME: 'contosoreg',
      COSMOS_ACCOUNT: 'contoso-db',
    });
    expect(custom.status).toBe(0);
    expect(custom.stdout).toContain('az group create --name contoso-backing');
    expect(custom.stdout).toContain('az acr create --name contosoreg');
    expect(custom.stdout).toContain('az cosmosdb create --name contoso-db');
    expect(custom.stdout).toContain(`--target contoso-${WRITE_REGION.name}.${WRITE_REGION.name}.cloudapp.azure.com`);
    expect(custom.stdout).not.toContain('kubeonazure-backing');
  });

  it('rejects a malformed name with one line and exit 2', () => {
    const bad = run(BASH, [BACKING], { DRY_RUN: '1', ACR_NAME: 'not-valid!' });
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim().split('\n')).toEqual(['ACR_NAME must be 5-50 letters or digits: not-valid!']);
  });

  it('says in one line that the Azure CLI is missing when not in a dry run', () => {
    const missing = run(BASH, [BACKING], { PATH: scratch });
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim().split('\n')).toEqual([
      'the Azure CLI (az) is not installed; set DRY_RUN=1 to print the commands',
    ]);
  });
});

describe('deploy/azure/create-monitoring.sh', () => {
  it('prints, in a dry run, the workspace in the first read region and one rule group PUT per generated group', () => {
    const dryRun = run(BASH, [MONITORING], { DRY_RUN: '1' });
    expect(dryRun.status).toBe(0);
    expect(dryRun.stderr).toBe('');
    const lines = commandLines(dryRun.stdout);
    for (const line of lines) expect(line).toMatch(/^az /);
    const [workspace, ...puts] = lines.map(whatRuns);
    expect(workspace).toMatch(/^az monitor account create --name kubeonazure-monitor /);
    expect(flagValues(workspace!, '--location')).toEqual([REGIONS.find((region) => region.role === 'read')!.name]);
    const groups = puts.flatMap((line) => /prometheusRuleGroups\/([\w-]+)/.exec(line)?.[1] ?? []);
    expect(groups).toEqual(
      readdirSync(`${repoRoot}deploy/monitoring/azure`).map((file) => file.replace(/\.json$/, '')),
    );
    // Then the outside-in probes: one availability test and its alert per region.
    const tests = puts.flatMap((line) => /webtests\/([\w-]+)' --api-version/.exec(line)?.[1] ?? []);
    const alerts = puts.flatMap((line) => /metricAlerts\/([\w-]+)' --api-version/.exec(line)?.[1] ?? []);
    expect(tests).toEqual(REGION_NAMES.map((region) => `kubeonazure-healthz-${region}`));
    expect(alerts).toEqual(tests);
  });

  it('stops with one line and exit 2 on a malformed workspace name, running nothing', () => {
    const result = run(BASH, [MONITORING], { DRY_RUN: '1', MONITOR_WORKSPACE: 'no spaces allowed' });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([
      'MONITOR_WORKSPACE must be 3-43 letters, digits or dashes: no spaces allowed',
    ]);
  });
});

describe('deploy/aks/create-clusters.sh', () => {
  it('creates one AKS cluster per region attached to the registry, with managed Prometheus and a <prefix>-<region> kube context', () => {
    const dryRun = run(BASH, [CLUSTERS], { DRY_RUN: '1', ACR_NAME: 'contosoreg' });
    expect(dryRun.status).toBe(0);
    const lines = commandLines(dryRun.stdout).map(whatRuns);
    const creates = lines.filter((line) => line.startsWith('az aks create '));
    expect(creates.map((line) => flagValues(line, '--location')[0])).toEqual([...REGION_NAMES]);
    const updates = lines.filter((line) => line.startsWith('az aks update ') && line.includes(' --attach-acr '));
    const monitoring = lines.filter((line) => line.includes(' --enable-azure-monitor-metrics '));
    for (const [index, region] of REGION_NAMES.entries()) {
      expect(flagValues(creates[index]!, '--node-count')).toEqual(['2']);
      expect(flagValues(creates[index]!, '--resource-group')).toEqual([`kubeonazure-${region}`]);
      // The NetworkPolicies of k8s/base are enforced only with a policy engine, chosen at creation.
      expect(flagValues(creates[index]!, '--network-policy')).toEqual(['cilium']);
      expect(flagValues(creates[index]!, '--network-dataplane')).toEqual(['cilium']);
      // Entra ID only, the admin group, the authorized ranges, and the region's egress prefix.
      expect(creates[index]).toContain('--enable-aad --aad-admin-group-object-ids');
      expect(creates[index]).toContain('--disable-local-accounts');
      expect(flagValues(creates[index]!, '--aad-admin-group-object-ids')).toEqual(["'<AKS_ADMIN_GROUP_ID>'"]);
      expect(flagValues(creates[index]!, '--api-server-authorized-ip-ranges')).toEqual([
        "'<API_SERVER_AUTHORIZED_IP_RANGES>'",
      ]);
      expect(creates[index]).toContain(`--load-balancer-outbound-ip-prefixes '<${region} egress prefix id>'`);
      expect(flagValues(updates[index]!, '--name')).toEqual([`kubeonazure-${region}`]);
      expect(flagValues(updates[index]!, '--attach-acr')).toEqual(['contosoreg']);
      // Managed Prometheus, linked to the workspace create-monitoring.sh makes.
      expect(flagValues(monitoring[index]!, '--name')).toEqual([`kubeonazure-${region}`]);
      expect(monitoring[index]).toContain(
        "--azure-monitor-workspace-resource-id '/subscriptions/<subscription id>/resourceGroups/kubeonazure-backing/providers/Microsoft.Monitor/accounts/kubeonazure-monitor'",
      );
    }
    const contexts = lines
      .filter((line) => line.startsWith('az aks get-credentials '))
      .map((line) => flagValues(line, '--context')[0]);
    expect(contexts).toEqual(REGION_NAMES.map((region) => `kubeonazure-${region}`));
  });

  it('lower-cases the registry name, as its login server is', () => {
    const dryRun = run(BASH, [CLUSTERS], { DRY_RUN: '1', ACR_NAME: 'ContosoReg' });
    expect(dryRun.status).toBe(0);
    const updates = commandLines(dryRun.stdout).filter((line) => line.includes(' --attach-acr '));
    expect(updates.flatMap((line) => flagValues(line, '--attach-acr'))).toEqual(REGION_NAMES.map(() => 'contosoreg'));
  });

  it('needs the admin group and the authorized ranges when not a dry run, each named in one line', () => {
    const good = {
      AKS_ADMIN_GROUP_ID: '00000000-0000-0000-0000-000000000000',
      API_SERVER_AUTHORIZED_IP_RANGES: '203.0.113.0/24',
    };
    const noGroup = run(BASH, [CLUSTERS], { ...WITH_STUB_AZ, ...good, AKS_ADMIN_GROUP_ID: '' });
    expect(noGroup.status).toBe(2);
    expect(noGroup.stderr.trim().split('\n')).toEqual([
      'AKS_ADMIN_GROUP_ID must be the object id of an Entra ID group:',
    ]);
    const badRanges = run(BASH, [CLUSTERS], {
      ...WITH_STUB_AZ,
      ...good,
      API_SERVER_AUTHORIZED_IP_RANGES: '0.0.0.0/0 ',
    });
    expect(badRanges.status).toBe(2);
    expect(badRanges.stderr).toMatch(
      /^API_SERVER_AUTHORIZED_IP_RANGES must be comma-separated IPv4 addresses or CIDRs/,
    );
  });

  it('rejects a malformed node count with one line and exit 2', () => {
    const bad = run(BASH, [CLUSTERS], { DRY_RUN: '1', NODE_COUNT: 'two' });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual(['NODE_COUNT must be a node count from 1 to 99: two']);
  });
});

describe('deploy/lib/az.sh', () => {
  it('reads the regions of libs/regions/regions.json, write region first', () => {
    const result = run(BASH, [
      '-c',
      `DRY_RUN=1 source '${repoRoot}deploy/lib/az.sh' && printf '%s\\n' "\${REGIONS[@]}"`,
    ]);
    expect(result.stderr).toBe('');
    const list = result.stdout.trim().split('\n');
    expect(list).toEqual([...REGION_NAMES]);
    expect(list[0]).toBe(WRITE_REGION.name);
  });
});
