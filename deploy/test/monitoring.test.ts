import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { WRITE_REGION } from '@kubeonazure/regions';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  azureDir,
  azureRule,
  azureRuleGroups,
  isoDuration,
  ruleFiles as azureRuleFiles,
} from '../monitoring/generate-azure-rule-groups.ts';
import { prometheusRule, prometheusRuleFile, rulesFile } from '../monitoring/generate-prometheus-rule.ts';
import { k8sDir, readYaml, render, repoRoot, run } from './support.ts';

// The rules, their promtool unit tests, the dashboard's queries and the monitoring components.
// promtool comes with Debian's `prometheus` package (.ci/run installs it without starting it).
const monitoringDir = `${repoRoot}deploy/monitoring/`;
const ruleFiles = ['rules/regional.yaml', 'rules/global.yaml'];
const testFiles = ['tests/regional.test.yaml', 'tests/global.test.yaml'];
const scratch = mkdtempSync(join(tmpdir(), 'deploy-monitoring-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function promtool(...args: string[]) {
  const result = run('promtool', args, {}, monitoringDir);
  if (result.error) throw new Error(`promtool: ${result.error.message}`);
  return result;
}

/** Every recording rule's name in the rule files. */
function recordedNames(): Set<string> {
  return new Set(
    ruleFiles.flatMap((file) =>
      readYaml(`${monitoringDir}${file}`).groups.flatMap((group: { rules: { record?: string }[] }) =>
        group.rules.flatMap((rule) => (rule.record ? [rule.record] : [])),
      ),
    ),
  );
}

describe('the rule files', () => {
  it.each(ruleFiles)('%s passes promtool check rules', (file) => {
    const result = promtool('check', 'rules', file);
    expect(result.stderr + result.stdout).toMatch(/SUCCESS/);
    expect(result.status).toBe(0);
  });

  it.each(testFiles)(
    '%s: every alert fires on a loss and not on a rollout-length blip (promtool test rules)',
    (file) => {
      const result = promtool('test', 'rules', file);
      expect(result.stdout + result.stderr).toMatch(/SUCCESS/);
      expect(result.status).toBe(0);
    },
    // The burn-rate tests evaluate days of series: about 10 s on an idle machine, 40 s on a busy one.
    120_000,
  );

  it('every alert is tested both ways: firing at least once, and quiet at least once', () => {
    const alerts = ruleFiles.flatMap((file) =>
      readYaml(`${monitoringDir}${file}`).groups.flatMap((group: { rules: { alert?: string }[] }) =>
        group.rules.flatMap((rule) => (rule.alert ? [rule.alert] : [])),
      ),
    );
    const checks: { alertname: string; exp_alerts: unknown[] }[] = testFiles.flatMap((file) =>
      readYaml(`${monitoringDir}${file}`).tests.flatMap((test: any) => test.alert_rule_test ?? []),
    );
    const fired = new Set(checks.filter((check) => check.exp_alerts.length > 0).map((check) => check.alertname));
    const quiet = new Set(checks.filter((check) => check.exp_alerts.length === 0).map((check) => check.alertname));
    expect(alerts.length).toBeGreaterThanOrEqual(12);
    expect(alerts.filter((alert) => !fired.has(alert))).toEqual([]);
    expect(alerts.filter((alert) => !quiet.has(alert))).toEqual([]);
  });

  it('the operator component holds exactly rules/regional.yaml (regenerate with generate-prometheus-rule.ts)', () => {
    expect(readFileSync(prometheusRuleFile, 'utf8')).toBe(prometheusRule(readFileSync(rulesFile, 'utf8')));
  });
});

describe('the Azure rule groups (deploy/azure/create-monitoring.sh PUTs them)', () => {
  it('are one file per rule group, exactly as generated from the rule files (generate-azure-rule-groups.ts)', () => {
    const generated = azureRuleGroups(azureRuleFiles.map((file) => readFileSync(file, 'utf8')));
    expect(readdirSync(azureDir).sort()).toEqual([...generated.keys()].map((name) => `${name}.json`).sort());
    for (const [name, rules] of generated) expect(readFileSync(`${azureDir}${name}.json`, 'utf8')).toBe(rules);
  });

  it('carry every rule of both files, alerts with Azure severity and ISO for', () => {
    const rules = [...azureRuleGroups(azureRuleFiles.map((file) => readFileSync(file, 'utf8'))).values()].flatMap(
      (text) => JSON.parse(text) as { record?: string; alert?: string }[],
    );
    expect(rules.map((rule) => rule.record ?? rule.alert).sort()).toEqual(
      ruleFiles
        .flatMap((file) =>
          readYaml(`${monitoringDir}${file}`).groups.flatMap((group: any) =>
            group.rules.map((rule: any) => rule.record ?? rule.alert),
          ),
        )
        .sort(),
    );
    expect(
      azureRule({ alert: 'A', expr: ' up == 0\n', for: '90s', labels: { severity: 'page' }, annotations: {} }),
    ).toEqual({
      alert: 'A',
      expression: 'up == 0',
      for: 'PT1M30S',
      severity: 1,
      labels: { severity: 'page' },
      annotations: {},
      enabled: true,
      resolveConfiguration: { autoResolved: true, timeToResolve: 'PT1M' },
    });
    expect(azureRule({ alert: 'B', expr: 'x', for: '0s', labels: { severity: 'ticket' } })).not.toHaveProperty('for');
    expect(() => azureRule({ alert: 'C', expr: 'x', labels: {} })).toThrow(/severity/);
    expect(azureRule({ record: 'a:b', expr: 'sum(x)' })).toEqual({ record: 'a:b', expression: 'sum(x)' });
  });

  it.each([
    ['90s', 'PT1M30S'],
    ['1m', 'PT1M'],
    ['15m', 'PT15M'],
    ['1h', 'PT1H'],
    ['0s', 'PT0S'],
    ['1d', 'PT24H'],
  ])('isoDuration(%s) = %s', (duration, iso) => {
    expect(isoDuration(duration)).toBe(iso);
  });
});

describe('dashboard.json', () => {
  const dashboard = JSON.parse(readFileSync(`${monitoringDir}dashboard.json`, 'utf8'));
  const queries: { title: string; expr: string }[] = dashboard.panels.flatMap((panel: any) =>
    (panel.targets ?? []).map((target: any) => ({ title: panel.title, expr: target.expr })),
  );

  /** A rule file recording each query, with Grafana's variables replaced by values, for promtool. */
  function asRuleFile(exprs: string[]): string {
    const rules = exprs.map((expr, index) => ({
      record: `dashboard:query_${index}`,
      expr: expr.replaceAll('$region', 'westus').replaceAll('$__rate_interval', '5m'),
    }));
    const path = join(scratch, `dashboard-${exprs.length}-${Date.now()}.yaml`);
    writeFileSync(path, stringify({ groups: [{ name: 'dashboard', rules }] }));
    return path;
  }

  it('has one row per region, repeated by the region variable, with the panels the operators need', () => {
    const [row] = dashboard.panels;
    expect(row).toMatchObject({ type: 'row', repeat: 'region' });
    expect(dashboard.templating.list.map((variable: any) => variable.name)).toEqual(['datasource', 'region']);
    expect(queries.map((query) => query.title)).toEqual([
      'Health (frontends up)',
      'Newest-post age',
      'Replication lag',
      'Requests/s',
      'p95 of /',
      'Live clients (event streams)',
      'Ingest lease holder',
      'Writes/s',
      'Throttled requests/s',
    ]);
    for (const { expr } of queries) expect(expr).toContain('region="$region"');
  });

  it('parses every panel query with Prometheus (promtool check rules)', () => {
    const result = promtool('check', 'rules', asRuleFile(queries.map((query) => query.expr)));
    expect(result.stdout + result.stderr).toMatch(new RegExp(`SUCCESS: ${queries.length} rules found`));
    expect(result.status).toBe(0);
  });

  it('would fail on a query with a syntax error', () => {
    const result = promtool('check', 'rules', asRuleFile(['sum(rate(http_request_duration_seconds_count[5m])']));
    expect(result.status).not.toBe(0);
  });

  it('reads only recording rules that exist', () => {
    const recorded = recordedNames();
    const used = queries.flatMap((query) => query.expr.match(/kubeonazure:[\w:]+/g) ?? []);
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((name) => !recorded.has(name))).toEqual([]);
  });
});

describe('components/monitoring', () => {
  /** The write region's overlay (which lists `aks`) as it reads with `component` as its monitoring, rendered. */
  function renderWith(component: string) {
    const dir = mkdtempSync(join(scratch, 'kustomize-'));
    const overlay = readFileSync(`${k8sDir}overlays/${WRITE_REGION.name}/kustomization.yaml`, 'utf8');
    // kustomize takes only relative paths.
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      overlay
        .replaceAll('../../', `${relative(dir, k8sDir)}/`)
        .replace('components/monitoring/aks', `components/monitoring/${component}`),
    );
    return render(dir);
  }

  it('keeps the two PodMonitors one spec under two API groups', () => {
    const aks = readYaml(`${k8sDir}components/monitoring/aks/pod-monitor.yaml`);
    const operator = readYaml(`${k8sDir}components/monitoring/operator/pod-monitor.yaml`);
    expect(aks.apiVersion).toBe('azmonitoring.coreos.com/v1');
    expect(operator.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(operator.spec).toEqual(aks.spec);
  });

  it.each([
    ['aks', 'azmonitoring.coreos.com/v1', { namespace: 'kube-system', pods: { rsName: 'ama-metrics' } }],
    [
      'operator',
      'monitoring.coreos.com/v1',
      { namespace: 'monitoring', pods: { 'app.kubernetes.io/name': 'prometheus' } },
    ],
  ])(
    '%s: scrapes both apps by the ops port name, admitted from the scrapers only',
    (component, apiVersion, scraper) => {
      const objects = renderWith(component);
      const [podMonitor, ...more] = objects.filter((object) => object.kind === 'PodMonitor');
      expect(more).toEqual([]);
      expect(podMonitor).toMatchObject({ apiVersion, metadata: { namespace: 'kubeonazure' } });
      expect(podMonitor!.spec.jobLabel).toBe('app.kubernetes.io/name');
      // `region` on the target from the pods' label, so `up` has it; the apps' own `region` is kept.
      expect(podMonitor!.spec.podMetricsEndpoints).toEqual([
        {
          port: 'ops',
          path: '/metrics',
          interval: '30s',
          honorLabels: true,
          relabelings: [{ sourceLabels: ['__meta_kubernetes_pod_label_kubeonazure_io_region'], targetLabel: 'region' }],
        },
      ]);
      // The selector matches every Deployment's pods, and each has a port named ops.
      const deployments = objects.filter((object) => object.kind === 'Deployment');
      expect(podMonitor!.spec.selector.matchExpressions[0].values.sort()).toEqual(
        deployments.map((deployment) => deployment.spec.template.metadata.labels['app.kubernetes.io/name']).sort(),
      );
      for (const deployment of deployments) {
        expect(deployment.spec.template.spec.containers[0].ports.map((port: any) => port.name)).toContain('ops');
        // The label the relabeling reads: the overlay's REGION, and the selector left as it was.
        expect(deployment.spec.template.metadata.labels['kubeonazure.io/region']).toBe(WRITE_REGION.name);
        expect(JSON.stringify(deployment.spec.selector)).not.toContain('kubeonazure.io/region');
      }

      const scrapePolicies = objects.filter(
        (object) => object.kind === 'NetworkPolicy' && JSON.stringify(object.spec.ingress ?? []).includes('"ops"'),
      );
      expect(scrapePolicies).toHaveLength(1);
      expect(() => new NetworkPolicy(scrapePolicies[0] as any).validate()).not.toThrow();
      expect(scrapePolicies[0]!.spec).toEqual({
        podSelector: {},
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': scraper.namespace } },
                podSelector: { matchLabels: scraper.pods },
              },
            ],
            ports: [{ port: 'ops' }],
          },
        ],
      });
      // Only the operator's Prometheus reads PrometheusRule objects; AKS's rules are Azure resources.
      expect(objects.filter((object) => object.kind === 'PrometheusRule')).toHaveLength(
        component === 'operator' ? 1 : 0,
      );
    },
  );
});
