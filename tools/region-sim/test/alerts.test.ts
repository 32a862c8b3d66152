import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { REGION_NAMES } from '@kubeonazure/regions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { durationMs, RULE_FILES, RULE_TIME_SCALE, SCRAPE_INTERVAL_SECONDS, scaledRuleFile } from '../src/prometheus.js';
import { getText, RegionSet } from '../src/region-set.js';
import { secondsToDegraded } from '../src/traffic.js';
import { streamingIn, until } from './drill-kit.js';

// The alert drills: the simulation's Prometheus (Debian's) scrapes every region's apps and evaluates
// deploy/monitoring's rules with every window a tenth (src/prometheus.ts); the drills read its
// /api/v1/alerts. Steady state first (no alert), the dashboard's queries, then a read-region and a
// write-region loss. 2 s probes and a 5 s failover window, as the other drills; every wait is bounded.
const WINDOW_MS = 5_000;
let set: RegionSet;

beforeAll(async () => {
  set = await RegionSet.start({ postsPerSecond: 2, probeIntervalSeconds: 2, failoverWindowMs: WINDOW_MS });
}, 180_000);

afterAll(async () => {
  await set?.stop();
}, 60_000);

/** An alert's `for:` and its expression's longest range window, as the simulation evaluates them (ms). */
function scaledTimes(alertname: string): { forMs: number; windowMs: number } {
  for (const file of RULE_FILES)
    for (const group of parse(scaledRuleFile(readFileSync(file, 'utf8'), RULE_TIME_SCALE)).groups)
      for (const rule of group.rules)
        if (rule.alert === alertname) {
          const windows = [...String(rule.expr).matchAll(/\[([0-9a-z]+)\]/g)].map((match) => durationMs(match[1]!));
          return { forMs: durationMs(rule.for), windowMs: Math.max(0, ...windows) };
        }
  throw new Error(`no alert ${alertname} in ${RULE_FILES.join(', ')}`);
}

/** Scrape, then evaluation: how late Prometheus may see a change. */
const SEEN_MS = 2 * SCRAPE_INTERVAL_SECONDS * 1000 + 1_000;

/** Every alert state any check saw, in order: what a drill asserts never happened. */
const history: string[] = [];

/** The alerts Prometheus has now, as `name/region:state`. */
async function alertStates(): Promise<string[]> {
  const states = (await set.prometheus.alerts())
    .map((alert) => `${alert.labels.alertname}/${alert.labels.region ?? ''}:${alert.state}`)
    .sort();
  history.push(...states);
  return states;
}

const isFiring = async (name: string, region = '') => (await alertStates()).includes(`${name}/${region}:firing`);
const isGone = async (name: string, region = '') =>
  !(await alertStates()).some((state) => state.startsWith(`${name}/${region}:`));

/** Times of one drill, for the README's figures: seconds after the loss. */
function report(drill: string, times: Record<string, number>) {
  const line = Object.entries(times)
    .map(([what, at]) => `${what} ${new Date(at).toISOString()}`)
    .join(', ');
  console.log(`${drill}: ${line}`);
}

describe('steady state', () => {
  it('once started, fires no alert while every region serves and West US ingests', async () => {
    await streamingIn(set, 'westus', 60_000);
    await until(
      async () => (await set.status()).regions.every((region) => region.health === 200),
      'every region healthy',
      30_000,
    );
    // Startup is not steady state: no lease holder until the first claim (NoIngestLeaseHolder fires then).
    await until(async () => (await alertStates()).length === 0, 'startup alerts resolved', 30_000);
    // Long enough for every scaled window the drills read (the longest rate is 5m / 10) to fill.
    const started = Date.now();
    const seen = new Set<string>();
    while (Date.now() - started < 40_000) {
      for (const state of await alertStates()) seen.add(state);
      await sleep(1_000);
    }
    // Firing is what pages; a pending alert (its condition true for less than its `for:`) is
    // reported, as a machine busy with other work can hold a poller for seconds.
    const pending = [...seen].filter((state) => state.endsWith(':pending'));
    if (pending.length > 0) console.log(`steady state: pending at some point: ${pending.join(', ')}`);
    expect([...seen].filter((state) => !state.endsWith(':pending'))).toEqual([]);
    // Prometheus scraped every app meanwhile.
    const up = await set.prometheus.query('up');
    expect(up.map((sample) => `${sample.metric.job}/${sample.metric.region}=${sample.value[1]}`).sort()).toEqual(
      REGION_NAMES.flatMap((region) => [`frontend/${region}=1`, `streamer/${region}=1`]).sort(),
    );
  }, 150_000);
});

describe('deploy/monitoring/dashboard.json', () => {
  const dashboard = JSON.parse(
    readFileSync(fileURLToPath(new URL('../../../deploy/monitoring/dashboard.json', import.meta.url)), 'utf8'),
  );
  const queries: { title: string; expr: string }[] = dashboard.panels.flatMap((panel: any) =>
    (panel.targets ?? []).map((target: any) => ({ title: panel.title, expr: target.expr })),
  );

  it("every panel's query returns a series (a number) for every region; the region variable lists them all", async () => {
    // Visitors on every region's page across a few scrapes, so `/` has a rate and a latency to show.
    for (let i = 0; i < 5; i++) {
      for (const region of REGION_NAMES) await getText(set.frontendUrl(region), set.client);
      await sleep(1.5 * SCRAPE_INTERVAL_SECONDS * 1000);
    }

    const variable = dashboard.templating.list.find((item: any) => item.name === 'region');
    const [, selector] = /^label_values\((.+), region\)$/.exec(variable.query.query) ?? [];
    const regions = new Set((await set.prometheus.query(selector!)).map((sample) => sample.metric.region));
    expect([...regions].sort()).toEqual([...REGION_NAMES].sort());

    expect(queries.length).toBeGreaterThanOrEqual(9);
    const empty: string[] = [];
    const values: string[] = [];
    for (const { title, expr } of queries) {
      const perRegion: string[] = [];
      for (const region of REGION_NAMES) {
        const samples = await set.prometheus.query(expr.replaceAll('$region', region));
        // No series, or only NaN (a quantile of no requests), shows an empty panel.
        if (samples.every((sample) => Number.isNaN(Number(sample.value[1]))))
          empty.push(`${title} (${region}): ${expr}`);
        perRegion.push(`${region} ${samples.map((sample) => Number(sample.value[1]).toPrecision(3)).join('/')}`);
      }
      values.push(`${title}: ${perRegion.join(', ')}`);
    }
    console.log(`dashboard queries at ${new Date().toISOString()}:\n  ${values.join('\n  ')}`);
    expect(empty).toEqual([]);
    // 27 queries: a few seconds on an idle machine, 50 s once at a load of 30.
  }, 120_000);
});

describe('alert drills', () => {
  it('a read region loses its database: its RegionUnhealthy fires within budget, no other region’s, and resolves after restore', async () => {
    const { forMs, windowMs } = scaledTimes('RegionUnhealthy');
    const budgetMs = forMs + windowMs + secondsToDegraded(set.probe) * 1000 + SEEN_MS;
    const lost = Date.now();
    await set.outage('uksouth');
    await until(() => isFiring('RegionUnhealthy', 'uksouth'), 'RegionUnhealthy uksouth firing', budgetMs);
    const firing = Date.now();
    expect(firing - lost).toBeGreaterThanOrEqual(forMs);
    for (const region of REGION_NAMES.filter((name) => name !== 'uksouth'))
      expect(await isGone('RegionUnhealthy', region)).toBe(true);

    await set.restore('uksouth');
    const restored = Date.now();
    await until(() => isGone('RegionUnhealthy', 'uksouth'), 'RegionUnhealthy uksouth resolved', 30_000);
    const resolved = Date.now();
    report('read-region loss (uksouth)', { lost, firing, restored, resolved });
    console.log(
      `read-region loss: firing ${(firing - lost) / 1000} s after the loss (budget ${budgetMs / 1000} s), resolved ${(resolved - restored) / 1000} s after restore`,
    );
  }, 120_000);

  it('the write region is lost: NoIngestLeaseHolder fires within budget and resolves once UK South ingests', async () => {
    const { forMs } = scaledTimes('NoIngestLeaseHolder');
    const budgetMs = forMs + SEEN_MS + 2_000;
    await until(async () => (await set.status()).leaseHolder?.region === 'westus', 'West US streams', 30_000);
    const seenBefore = history.length;
    await set.outage('westus', true);
    const lost = Date.now();
    await until(() => isFiring('NoIngestLeaseHolder'), 'NoIngestLeaseHolder firing', budgetMs);
    const firing = Date.now();

    await streamingIn(set, 'uksouth', 90_000);
    const takenOver = Date.now();
    await until(() => isGone('NoIngestLeaseHolder'), 'NoIngestLeaseHolder resolved', SEEN_MS + 2_000);
    const resolved = Date.now();
    expect(set.automaticFailovers.map(({ from, to }) => `${from}->${to}`)).toEqual(['westus->uksouth']);
    // Never two holders on the way, not even pending, in any check the drill made (about every 100 ms).
    expect(await isGone('TwoIngestLeaseHolders')).toBe(true);
    expect(history.slice(seenBefore).filter((state) => state.startsWith('TwoIngestLeaseHolders/'))).toEqual([]);
    report('write-region loss (westus)', { lost, firing, takenOver, resolved });
    console.log(
      `write-region loss: firing ${(firing - lost) / 1000} s after the loss (budget ${budgetMs / 1000} s), UK South ingests ${(takenOver - lost) / 1000} s after, resolved ${(resolved - takenOver) / 1000} s after that`,
    );
  }, 150_000);
});
