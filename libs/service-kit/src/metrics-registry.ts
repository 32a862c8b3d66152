import { collectDefaultMetrics, Registry } from 'prom-client';

const GAUGES_NAMED_AS_COUNTERS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * The one registry set-up of every app: a registry of its own (tests build several apps per
 * process) with the process metrics and a `region` label on every series, so that any scraper
 * (AKS managed Prometheus, the Prometheus Operator, the simulation's Prometheus) tells the regions
 * apart without a relabelling rule of its own.
 */
export function createMetricsRegistry(region: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ region });
  collectDefaultMetrics({ register: registry });
  // Gauges named like counters, which promtool rejects; each is the sum of its by-type twin
  // (`nodejs_active_handles{type}`, ...), so nothing is lost.
  for (const name of GAUGES_NAMED_AS_COUNTERS) registry.removeSingleMetric(name);
  return registry;
}
