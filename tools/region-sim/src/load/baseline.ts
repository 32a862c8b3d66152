// The load test's pass/fail: a baseline file (baselines/*.json) gives the load's shape and the
// thresholds a run must meet, per region and for the whole run. Pure: reading a baseline, checking a
// result against it, and the per-region report table.
import { renderTable } from '@kubeonazure/tool-kit';
import type { LiveSummary } from './generator.js';

/** The drill run during the load: none, or a read region's loss then the write region's (automatic failover). */
export type Drill = 'none' | 'chaos';

export interface LoadShape {
  /** Virtual visitors per visitor entry. */
  visitors: number;
  /** Live clients per visitor entry. */
  live: number;
  durationSeconds: number;
  /** Hard cap on requests, all entries together. */
  maxRequests: number;
}

/** Every threshold is optional: a smoke baseline checks behaviour only, the benchmark ones figures too. */
export interface Thresholds {
  /** Per region. */
  minRps?: number;
  maxP95Ms?: number;
  maxP99Ms?: number;
  /** Answers that are neither 2xx/3xx nor deliberate shedding (429, 503 with Retry-After). */
  maxFailed?: number;
  /** Deliberately shed answers, as a share of all. */
  maxShedRatio?: number;
  /** Live clients held at the end, as a share of those asked for. */
  minLiveHeldRatio?: number;
  maxDatabaseCommandsPerSecond?: number;
  maxRequestUnitsPerSecond?: number;
  maxFrontendRssMb?: number;
  /** For the whole run: posts the stand-in published that were not stored, or stored twice. */
  maxPostsLost: number;
}

export interface Baseline {
  description: string;
  load: LoadShape;
  drill: Drill;
  thresholds: Thresholds;
}

/** One region's figures in a load run: its visitor entry's answers, its database front, its frontend. */
export interface RegionRow {
  /** The visitor entry (us, uk, asia) and the region nearest to it. */
  entry: string;
  region: string;
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  shed: number;
  failed: number;
  statuses: Record<string, number>;
  live: LiveSummary;
  databaseCommandsPerSecond: number;
  requestUnitsPerSecond: number;
  throttled: number;
  /** The most its frontend process held (RSS, sampled every second). */
  frontendRssMb: number;
}

export interface PostCount {
  published: number;
  /** Published posts found in the write region. */
  stored: number;
  /** Documents in the write region: more than published means a post stored twice. */
  documents: number;
}

export interface LoadTestResult {
  elapsedSeconds: number;
  capped: boolean;
  rows: RegionRow[];
  posts: PostCount;
  /** What the drill did, and when (seconds into the load). */
  drillEvents: string[];
}

const THRESHOLD_KEYS = [
  'minRps',
  'maxP95Ms',
  'maxP99Ms',
  'maxFailed',
  'maxShedRatio',
  'minLiveHeldRatio',
  'maxDatabaseCommandsPerSecond',
  'maxRequestUnitsPerSecond',
  'maxFrontendRssMb',
  'maxPostsLost',
] as const satisfies readonly (keyof Thresholds)[];

/** A baseline from its JSON text; `name` says which in errors. Unknown keys are errors, as typos would be. */
export function parseBaseline(text: string, name: string): Baseline {
  const fail = (message: string): never => {
    throw new Error(`baseline ${name}: ${message}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return fail(`not JSON (${(error as Error).message})`);
  }
  const object = (value: unknown, what: string, keys: readonly string[]): Record<string, unknown> => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(`${what} must be an object`);
    for (const key of Object.keys(value)) if (!keys.includes(key)) fail(`unknown key ${what}.${key}`);
    return value as Record<string, unknown>;
  };
  const number = (value: unknown, what: string, whole = false): number => {
    if (typeof value !== 'number' || !(value >= 0) || (whole && !Number.isInteger(value)))
      return fail(`${what} must be a ${whole ? 'whole number' : 'number'} >= 0`);
    return value;
  };
  const top = object(raw, 'baseline', ['description', 'load', 'drill', 'thresholds']);
  const load = object(top.load, 'load', ['visitors', 'live', 'durationSeconds', 'maxRequests']);
  const thresholds = object(top.thresholds, 'thresholds', THRESHOLD_KEYS);
  if (top.drill !== 'none' && top.drill !== 'chaos') fail('drill must be "none" or "chaos"');
  if (typeof top.description !== 'string') fail('description must be a string');
  if (thresholds.maxPostsLost === undefined) fail('thresholds.maxPostsLost is required');
  return {
    description: top.description as string,
    drill: top.drill as Drill,
    load: {
      visitors: number(load.visitors, 'load.visitors', true),
      live: number(load.live, 'load.live', true),
      durationSeconds: number(load.durationSeconds, 'load.durationSeconds'),
      maxRequests: number(load.maxRequests, 'load.maxRequests', true),
    },
    thresholds: Object.fromEntries(
      Object.entries(thresholds).map(([key, value]) => [key, number(value, `thresholds.${key}`)]),
    ) as unknown as Thresholds,
  };
}

/** Each threshold `result` misses, one line each naming it; none: the run passes. */
export function missedThresholds(result: LoadTestResult, thresholds: Thresholds): string[] {
  const missed: string[] = [];
  const check = (where: string, key: keyof Thresholds, value: number, unit = '') => {
    const limit = thresholds[key];
    if (limit === undefined) return;
    const isMin = key.startsWith('min');
    if (isMin ? value >= limit : value <= limit) return;
    const shown = (n: number) => `${Number.isInteger(n) ? n : n.toFixed(2)}${unit}`;
    missed.push(`${where}: ${key} ${shown(value)} ${isMin ? '<' : '>'} ${shown(limit)}`);
  };
  for (const row of result.rows) {
    const where = `${row.entry} (${row.region})`;
    check(where, 'minRps', row.rps, ' req/s');
    check(where, 'maxP95Ms', row.p95, ' ms');
    check(where, 'maxP99Ms', row.p99, ' ms');
    check(where, 'maxFailed', row.failed);
    check(where, 'maxShedRatio', row.requests ? row.shed / row.requests : 0);
    check(where, 'minLiveHeldRatio', row.live.wanted ? row.live.held / row.live.wanted : 1);
    check(where, 'maxDatabaseCommandsPerSecond', row.databaseCommandsPerSecond, '/s');
    check(where, 'maxRequestUnitsPerSecond', row.requestUnitsPerSecond, ' RU/s');
    check(where, 'maxFrontendRssMb', row.frontendRssMb, ' MB');
  }
  check('posts', 'maxPostsLost', postsLost(result.posts));
  return missed;
}

/** Published posts not stored, plus documents beyond the published ones (a post stored twice). */
export function postsLost(posts: PostCount): number {
  return posts.published - posts.stored + Math.max(0, posts.documents - posts.published);
}

/** The per-region report, one row per visitor entry. */
export function loadTable(result: LoadTestResult): string {
  const ms = (value: number) => (Number.isNaN(value) ? '-' : value.toFixed(0));
  return renderTable(
    [
      'ENTRY',
      'REGION',
      'REQ/S',
      'P50 MS',
      'P95 MS',
      'P99 MS',
      'OK',
      'SHED',
      'FAILED',
      'LIVE HELD',
      'DB CMD/S',
      'RU/S',
      'THROTTLED',
      'FRONTEND MB',
    ],
    result.rows.map((row) => [
      row.entry,
      row.region,
      row.rps.toFixed(1),
      ms(row.p50),
      ms(row.p95),
      ms(row.p99),
      String(row.requests - row.shed - row.failed),
      String(row.shed),
      String(row.failed),
      `${row.live.held}/${row.live.wanted}`,
      row.databaseCommandsPerSecond.toFixed(1),
      row.requestUnitsPerSecond.toFixed(1),
      String(row.throttled),
      row.frontendRssMb.toFixed(0),
    ]),
    ['left', 'left', ...Array<'right'>(12).fill('right')],
  );
}
