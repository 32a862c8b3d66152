import { Counter, Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetricsRegistry } from './metrics-registry.ts';
import { promtoolFindings } from './testing.ts';

/** The sample lines of a Prometheus text: neither comments nor blanks. */
function samples(text: string): string[] {
  return text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

describe('createMetricsRegistry', () => {
  it('puts the region on every series, the process metrics and the app’s own alike', async () => {
    const registry = createMetricsRegistry('uksouth');
    new Counter({ name: 'kit_events_total', help: 'Events', labelNames: ['kind'], registers: [registry] }).inc({
      kind: 'a',
    });
    const lines = samples(await registry.metrics());
    expect(lines.some((line) => line.startsWith('process_cpu_seconds_total'))).toBe(true);
    expect(lines).toContain('kit_events_total{kind="a",region="uksouth"} 1');
    expect(lines.filter((line) => !line.includes('region="uksouth"'))).toEqual([]);
  });

  it('passes promtool check metrics', async () => {
    expect(await promtoolFindings(await createMetricsRegistry('local').metrics())).toEqual([]);
  });
});

describe('promtoolFindings', () => {
  it('reports what breaks the conventions', async () => {
    const registry = new Registry();
    new Gauge({ name: 'kit_bad_total', help: 'A gauge named as a counter', registers: [registry] }).set(1);
    new Counter({ name: 'kit_latency_milliseconds', help: 'Not a base unit', registers: [registry] }).inc();
    const findings = await promtoolFindings(await registry.metrics());
    expect(findings.join('\n')).toMatch(/kit_bad_total/);
    expect(findings.join('\n')).toMatch(/kit_latency_milliseconds/);
  });
});
