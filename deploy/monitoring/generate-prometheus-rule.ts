// Wraps rules/regional.yaml into the PrometheusRule of k8s/components/monitoring/operator, so the
// rules have one copy. Run after editing the rules: `node deploy/monitoring/generate-prometheus-rule.ts`;
// deploy/test/monitoring.test.ts fails while the two differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

export const rulesFile = fileURLToPath(new URL('rules/regional.yaml', import.meta.url));
export const prometheusRuleFile = fileURLToPath(
  new URL('../k8s/components/monitoring/operator/prometheus-rule.yaml', import.meta.url),
);

const HEADER = `# Generated from deploy/monitoring/rules/regional.yaml by deploy/monitoring/generate-prometheus-rule.ts: edit those.
`;

/** The PrometheusRule object holding the rule file's groups, as YAML. */
export function prometheusRule(rules: string): string {
  const { groups } = parse(rules) as { groups: unknown[] };
  const object = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'kubeonazure' },
    spec: { groups },
  };
  return HEADER + stringify(object, { lineWidth: 0 });
}

if (import.meta.main) writeFileSync(prometheusRuleFile, prometheusRule(readFileSync(rulesFile, 'utf8')));
