import { readdirSync, readFileSync } from 'node:fs';
import { AzSession, FakeAzure, isReadAction, type RecordedRequest } from '@kubeonazure/fake-azure';
import { REGION_NAMES, REGIONS, regionFqdn, WRITE_REGION } from '@kubeonazure/regions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './support.ts';

// deploy/azure/create-monitoring.sh with the real Azure CLI against the Azure Resource Manager
// stand-in: the Azure Monitor workspace and the Prometheus rule groups made from deploy/monitoring's
// rule files, and the availability tests of each region's /healthz with their alerts; the tests
// assert the request bodies, and that a re-run writes nothing.
const SCRIPT = `${repoRoot}deploy/azure/create-monitoring.sh`;
const RULES_DIR = `${repoRoot}deploy/monitoring/azure/`;
const SCRIPT_TIMEOUT = 300_000;

let azure: FakeAzure;
let az: AzSession;

beforeAll(async () => {
  azure = await FakeAzure.start();
  az = await AzSession.login(azure);
  // The script runs after create-backing-services.sh, which made the shared resource group.
  azure.put(`/subscriptions/${azure.subscriptionId}/resourceGroups/kubeonazure-backing`, {
    location: REGIONS[0]!.name,
    properties: {},
  });
}, 120_000);

afterAll(async () => {
  az?.close();
  await azure?.close();
});

const backing = () => `/subscriptions/${azure.subscriptionId}/resourceGroups/kubeonazure-backing/providers/`;
const workspaceId = () => `${backing()}Microsoft.Monitor/accounts/kubeonazure-monitor`;
const groupId = (name: string) => `${backing()}Microsoft.AlertsManagement/prometheusRuleGroups/${name}`;
const groups = readdirSync(RULES_DIR).map((file) => file.replace(/\.json$/, ''));
const insights = () => `${backing()}Microsoft.Insights/`;
const logsId = () => `${backing()}Microsoft.OperationalInsights/workspaces/kubeonazure-probe-logs`;
const componentId = () => `${insights()}components/kubeonazure-probes`;
const testId = (region: string) => `${insights()}webtests/kubeonazure-healthz-${region}`;
const alertId = (region: string) => `${insights()}metricAlerts/kubeonazure-healthz-${region}`;
const probeIds = () => [
  logsId(),
  componentId(),
  ...REGION_NAMES.flatMap((region) => [testId(region), alertId(region)]),
];

async function converge() {
  const before = azure.requests.length;
  const result = await az.run([SCRIPT], {}, '/bin/bash');
  const writes = azure.requests.slice(before).filter((request) => request.method !== 'GET' && !isReadAction(request));
  return { ...result, writes };
}

const summary = (writes: RecordedRequest[]) => writes.map((write) => `${write.method} ${write.path.toLowerCase()}`);

interface RuleGroupBody {
  location: string;
  tags: Record<string, string>;
  properties: { scopes: string[]; enabled: boolean; interval: string; rules: Record<string, unknown>[] };
}

describe('create-monitoring.sh with the real Azure CLI against Azure Resource Manager (stand-in)', () => {
  it(
    'first run: the workspace in the first read region, then one rule group per group of the rule files on it',
    async () => {
      const run = await converge();
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(summary(run.writes)).toEqual(
        [workspaceId(), ...groups.map(groupId), ...probeIds()].map((id) => `PUT ${id.toLowerCase()}`),
      );
      const readRegion = REGIONS.find((region) => region.role === 'read')!.name;
      expect(run.writes[0]!.body).toMatchObject({ location: readRegion });

      expect(groups).toEqual(
        expect.arrayContaining(['kubeonazure-availability', 'kubeonazure-region', 'kubeonazure-global']),
      );
      for (const [index, name] of groups.entries()) {
        const body = run.writes[index + 1]!.body as RuleGroupBody;
        expect(body.location).toBe(readRegion);
        expect(body.properties).toMatchObject({ scopes: [workspaceId()], enabled: true, interval: 'PT1M' });
        // Exactly the generated rules (deploy/test/monitoring.test.ts keeps them equal to rules/*.yaml).
        expect(body.properties.rules).toEqual(JSON.parse(readFileSync(`${RULES_DIR}${name}.json`, 'utf8')));
        expect(body.tags['kubeonazure-sha256']).toMatch(/^[0-9a-f]{64}$/);
      }
      const global = run.writes.find((write) => write.path.endsWith('/kubeonazure-global'))!.body as RuleGroupBody;
      expect(global.properties.rules).toContainEqual(
        expect.objectContaining({ alert: 'NoIngestLeaseHolder', for: 'PT1M', severity: 1 }),
      );
    },
    SCRIPT_TIMEOUT,
  );

  it(
    "first run: each region's /healthz tested from five locations, in the write region, alerting when two fail",
    async () => {
      const body = (id: string) => azure.resource(id)! as unknown as Record<string, any>;
      expect(body(logsId()).location).toBe(WRITE_REGION.name);
      // Workspace-based, as Application Insights components must be.
      expect(body(componentId())).toMatchObject({
        location: WRITE_REGION.name,
        kind: 'web',
        properties: { Application_Type: 'web', WorkspaceResourceId: logsId() },
      });
      for (const region of REGIONS) {
        const test = body(testId(region.name));
        expect(test.location).toBe(WRITE_REGION.name);
        // Azure shows a test only under the component its hidden-link tag names.
        expect(test.tags[`hidden-link:${componentId()}`]).toBe('Resource');
        expect(test.kind).toBe('standard');
        expect(test.properties).toMatchObject({
          Kind: 'standard',
          Enabled: true,
          Frequency: 300,
          Request: { RequestUrl: `https://${regionFqdn(region)}/healthz`, HttpVerb: 'GET' },
          ValidationRules: { ExpectedHttpStatusCode: 200 },
        });
        expect(test.properties.Locations).toHaveLength(5);
        expect(body(alertId(region.name)).properties).toMatchObject({
          severity: 1,
          enabled: true,
          scopes: [testId(region.name), componentId()],
          criteria: {
            'odata.type': 'Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria',
            webTestId: testId(region.name),
            componentId: componentId(),
            failedLocationCount: 2,
          },
        });
      }
    },
    SCRIPT_TIMEOUT,
  );

  it(
    'a re-run with nothing changed makes no write',
    async () => {
      const run = await converge();
      expect(run.status).toBe(0);
      expect(summary(run.writes)).toEqual([]);
    },
    SCRIPT_TIMEOUT,
  );

  it(
    'a rule group that differs from the rule files (its digest) is PUT again, the others are left alone',
    async () => {
      const stale = azure.resource(groupId('kubeonazure-global'))!;
      azure.put(stale.id, { ...stale, tags: { 'kubeonazure-sha256': 'an older set of rules' } });
      const run = await converge();
      expect(run.status).toBe(0);
      expect(summary(run.writes)).toEqual([`PUT ${groupId('kubeonazure-global').toLowerCase()}`]);
    },
    SCRIPT_TIMEOUT,
  );

  it(
    'an availability test changed by hand (digest tag dropped) is PUT again, nothing else',
    async () => {
      const test = azure.resource(testId(WRITE_REGION.name))!;
      const tags = { ...(test.tags as Record<string, string>) };
      delete tags['kubeonazure-sha256'];
      azure.put(test.id, { ...test, tags, properties: { ...test.properties, Frequency: 900 } });
      const run = await converge();
      expect(run.status).toBe(0);
      expect(summary(run.writes)).toEqual([`PUT ${testId(WRITE_REGION.name).toLowerCase()}`]);
      expect(azure.resource(testId(WRITE_REGION.name))!.properties.Frequency).toBe(300);
    },
    SCRIPT_TIMEOUT,
  );
});
