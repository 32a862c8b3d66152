// Turns every group of rules/regional.yaml and rules/global.yaml into the rules of one Azure
// Monitor rule group (Microsoft.AlertsManagement/prometheusRuleGroups, api-version 2023-03-01):
// deploy/azure/create-monitoring.sh PUTs azure/<group>.json on the Azure Monitor workspace the
// clusters' managed Prometheus writes to. Run after editing the rules:
// `node deploy/monitoring/generate-azure-rule-groups.ts`; deploy/test/monitoring.test.ts fails while
// the files differ.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ruleFiles = ['rules/regional.yaml', 'rules/global.yaml'].map((file) =>
  fileURLToPath(new URL(file, import.meta.url)),
);
export const azureDir = fileURLToPath(new URL('azure/', import.meta.url));

interface PrometheusRule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Azure's alert severity (0 critical … 4 verbose) for our `severity` label. */
const SEVERITY: Record<string, number> = { page: 1, ticket: 3 };
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };

/** A Prometheus duration (`90s`, `1h`, `15m`) as ISO 8601 (`PT1M30S`), as Azure's `for` takes it. */
export function isoDuration(duration: string): string {
  if (!/^(?:\d+[smhd])+$/.test(duration)) throw new Error(`not a whole-second Prometheus duration: ${duration}`);
  let seconds = 0;
  for (const [, count, unit] of duration.matchAll(/(\d+)([smhd])/g)) seconds += Number(count) * UNIT_SECONDS[unit!]!;
  const h = Math.floor(seconds / 3_600);
  const m = Math.floor((seconds % 3_600) / 60);
  const s = seconds % 60;
  return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s || seconds === 0 ? `${s}S` : ''}`;
}

/** One Prometheus rule as Azure's PrometheusRule. */
export function azureRule(rule: PrometheusRule): Record<string, unknown> {
  if (rule.record)
    return { record: rule.record, expression: rule.expr.trim(), ...(rule.labels && { labels: rule.labels }) };
  const severity = SEVERITY[rule.labels?.severity ?? ''];
  if (severity === undefined) throw new Error(`${rule.alert}: severity must be one of ${Object.keys(SEVERITY)}`);
  return {
    alert: rule.alert,
    expression: rule.expr.trim(),
    ...(rule.for && rule.for !== '0s' && { for: isoDuration(rule.for) }),
    severity,
    labels: rule.labels,
    annotations: rule.annotations,
    enabled: true,
    // Resolved as soon as the expression no longer holds, as Prometheus does.
    resolveConfiguration: { autoResolved: true, timeToResolve: 'PT1M' },
  };
}

/** Every group of the rule files: its name, and its rules as Azure's JSON (one file per group). */
export function azureRuleGroups(texts: readonly string[]): Map<string, string> {
  const groups = new Map<string, string>();
  for (const text of texts)
    for (const group of (parse(text) as { groups: { name: string; rules: PrometheusRule[] }[] }).groups) {
      if (groups.has(group.name)) throw new Error(`rule group ${group.name} twice`);
      groups.set(group.name, `${JSON.stringify(group.rules.map(azureRule), null, 2)}\n`);
    }
  return groups;
}

if (import.meta.main) {
  const groups = azureRuleGroups(ruleFiles.map((file) => readFileSync(file, 'utf8')));
  mkdirSync(azureDir, { recursive: true });
  for (const file of readdirSync(azureDir)) rmSync(`${azureDir}${file}`);
  for (const [name, rules] of groups) writeFileSync(`${azureDir}${name}.json`, rules);
}
