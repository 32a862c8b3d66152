// What a load run saw at one target, and its summary: latency percentiles, req/s, answers by status,
// deliberate shedding told apart from failures. Pure.
import type { Action } from './mix.js';

/**
 * What an answer means for a load test: `ok` (2xx, 3xx), `shed` (the service turning work away on
 * purpose: 429, or 503 with Retry-After, as the frontend's rate limit, stream cap and overload
 * answer), `failed` (any other status, e.g. HAProxy's 503 without a server, or no answer: `status` null).
 */
export type Outcome = 'ok' | 'shed' | 'failed';

export function classify(status: number | null, hasRetryAfter: boolean): Outcome {
  if (status === null) return 'failed';
  if (status < 400) return 'ok';
  if (status === 429 || (status === 503 && hasRetryAfter)) return 'shed';
  return 'failed';
}

/** The `p`th percentile (nearest rank) of `values`, NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/** Every answer a target gave during a run: its latency, status (`error`: none), action and path. */
export class Tally {
  readonly latenciesMs: number[] = [];
  readonly statuses: Record<string, number> = {};
  readonly actions: Partial<Record<Action, Record<string, number>>> = {};
  readonly olderPages = new Set<string>();
  shed = 0;
  failed = 0;

  record(action: Action, path: string, status: number | null, hasRetryAfter: boolean, latencyMs: number): Outcome {
    const outcome = classify(status, hasRetryAfter);
    this.latenciesMs.push(latencyMs);
    const key = status === null ? 'error' : String(status);
    this.statuses[key] = (this.statuses[key] ?? 0) + 1;
    const byStatus = this.actions[action] ?? {};
    byStatus[key] = (byStatus[key] ?? 0) + 1;
    this.actions[action] = byStatus;
    if (action === 'olderPage' || action === 'olderApi') this.olderPages.add(path);
    if (outcome === 'shed') this.shed += 1;
    if (outcome === 'failed') this.failed += 1;
    return outcome;
  }
}

export interface RequestSummary {
  requests: number;
  /** Answers per second over the run. */
  rps: number;
  /** Latency of every answer, ok or not, in ms. */
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Answers by status (`error`: no answer). */
  statuses: Record<string, number>;
  /** Answers by action, then by status. */
  actions: Partial<Record<Action, Record<string, number>>>;
  /** Distinct older pages asked for (each costs at most one read per cache lifetime). */
  olderPages: number;
  /** Deliberately turned away (429, 503 with Retry-After). */
  shed: number;
  /** Everything else that was not a 2xx or 3xx. */
  failed: number;
}

export function summarize(tally: Tally, elapsedMs: number): RequestSummary {
  const latencies = tally.latenciesMs;
  return {
    requests: latencies.length,
    rps: elapsedMs > 0 ? (latencies.length * 1000) / elapsedMs : 0,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: latencies.length === 0 ? Number.NaN : latencies.reduce((max, value) => Math.max(max, value)),
    statuses: { ...tally.statuses },
    actions: structuredClone(tally.actions),
    olderPages: tally.olderPages.size,
    shed: tally.shed,
    failed: tally.failed,
  };
}
