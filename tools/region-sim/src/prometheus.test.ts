import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { prometheusConfig, RULE_FILES, scaleDuration, scaledRuleFile, scaleExpr } from './prometheus.js';

describe('scaleDuration', () => {
  it.each([
    ['90s', 0.1, '9s'],
    ['1m', 0.1, '6s'],
    ['5m', 0.1, '30s'],
    ['1h', 0.1, '360s'],
    ['3d', 0.1, '25920s'],
    ['1h30m', 0.1, '540s'],
    ['15s', 0.1, '1500ms'],
    ['0s', 0.1, '1ms'],
    ['2m', 1, '120s'],
  ])('%s x %d = %s', (duration, factor, scaled) => {
    expect(scaleDuration(duration, factor)).toBe(scaled);
  });

  it('refuses what is not a duration', () => {
    expect(() => scaleDuration('5 minutes', 0.1)).toThrow(/not a Prometheus duration/);
  });
});

describe('scaleExpr', () => {
  it('scales range windows and subqueries, nothing else', () => {
    expect(scaleExpr('sum by (region) (rate(x{route="/"}[5m])) > 60', 0.1)).toBe(
      'sum by (region) (rate(x{route="/"}[30s])) > 60',
    );
    expect(scaleExpr('max_over_time(up[1h:1m]) + max_over_time(up[10m:])', 0.1)).toBe(
      'max_over_time(up[360s:6s]) + max_over_time(up[60s:])',
    );
  });

  it('refuses offset, which it would leave unscaled', () => {
    expect(() => scaleExpr('rate(x[5m] offset 1h)', 0.1)).toThrow(/offset/);
  });
});

describe('scaledRuleFile of deploy/monitoring/rules', () => {
  it.each(RULE_FILES)('%s: same rules, every for and window a tenth', (file) => {
    const source = parse(readFileSync(file, 'utf8'));
    const scaled = parse(scaledRuleFile(readFileSync(file, 'utf8'), 0.1));
    const rules = (f: any) => f.groups.flatMap((group: any) => group.rules);
    expect(rules(scaled).map((rule: any) => rule.record ?? rule.alert)).toEqual(
      rules(source).map((rule: any) => rule.record ?? rule.alert),
    );
    const alert = rules(scaled).find((rule: any) => rule.alert === 'RegionUnhealthy' || rule.alert === 'RegionMissing');
    expect(alert.for).toBe('9s');
    expect(alert.labels).toEqual({ severity: 'page' });
    expect(JSON.stringify(rules(scaled))).not.toMatch(/\[(?:1m|5m|1h)\]/);
  });
});

describe('prometheusConfig', () => {
  it('scrapes every app with job and region as target labels, the apps’ own labels kept', () => {
    const config = parse(
      prometheusConfig(
        [
          { job: 'frontend', region: 'westus', port: 1001 },
          { job: 'streamer', region: 'westus', port: 1002 },
          { job: 'frontend', region: 'uksouth', port: 1003 },
        ],
        ['/tmp/x/sim-regional.yaml'],
      ),
    );
    expect(config.rule_files).toEqual(['/tmp/x/sim-regional.yaml']);
    expect(config.scrape_configs).toEqual([
      {
        job_name: 'frontend',
        honor_labels: true,
        static_configs: [
          { targets: ['127.0.0.1:1001'], labels: { region: 'westus' } },
          { targets: ['127.0.0.1:1003'], labels: { region: 'uksouth' } },
        ],
      },
      {
        job_name: 'streamer',
        honor_labels: true,
        static_configs: [{ targets: ['127.0.0.1:1002'], labels: { region: 'westus' } }],
      },
    ]);
  });
});
