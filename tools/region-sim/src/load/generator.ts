// A bounded load generator for the region simulation: virtual visitors in a closed loop (each sends its
// next request when the last is answered) over a traffic mix, and live clients on /events that resume by
// Last-Event-ID. Loopback only; bounded by a duration and a hard request cap. Per target: latency
// percentiles, req/s, answers by status (deliberate shedding apart from failures), live clients held.
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { Agent, Pool } from 'undici';
import { SseClient } from '../sse-client.js';
import {
  CursorPool,
  DEFAULT_MIX,
  isLoopback,
  type Mix,
  pathFor,
  pickAction,
  seededRandom,
  validateMix,
} from './mix.js';
import { type RequestSummary, summarize, Tally } from './summary.js';

export interface LoadTarget {
  /** How the report names it (a region, a visitor location). */
  name: string;
  /** Its origin, on this machine (`https://localhost:<port>` in the simulation, `http://127.0.0.1:<port>`). */
  url: string;
}

export interface LoadOptions {
  targets: readonly LoadTarget[];
  /** Virtual visitors per target, each with one request in flight at a time. */
  visitors: number;
  /** Live clients per target, each holding a stream on /events. */
  liveClients: number;
  durationMs: number;
  /** No more requests than this, all targets together (live clients' streams not counted). */
  maxRequests: number;
  mix?: Mix;
  /** Seeds each visitor's choices, so a run's mix can be repeated. */
  seed?: number;
  /** A visitor's pause between one answer and its next request. */
  thinkTimeMs?: number;
  /** Longest wait for a request's headers, and between body chunks. */
  requestTimeoutMs?: number;
  /**
   * Source addresses the live clients connect from, in turn (e.g. 127.0.0.2, 127.0.0.3, ...): past a
   * per-address stream cap and one address's ephemeral ports. The default address otherwise.
   */
  liveSourceAddresses?: readonly string[];
  /** The CA the targets' HTTPS certificates chain to (the simulation's: the contents of `RegionSet.pki.caFile`). */
  ca?: string | Buffer;
}

export interface LiveSummary {
  /** Live clients asked for. */
  wanted: number;
  /** Streams open when the run ended. */
  held: number;
  /** The most open at once (sampled every 250 ms). */
  maxHeld: number;
  /** Streams refused (the frontend's cap: 503 with Retry-After). */
  rejected: number;
  reconnects: number;
  /** Posts the live clients got, all together. */
  events: number;
}

export interface TargetReport extends RequestSummary {
  target: string;
  live: LiveSummary;
}

export interface LoadReport {
  elapsedMs: number;
  requests: number;
  /** Whether the hard request cap ended the run before its duration. */
  capped: boolean;
  targets: TargetReport[];
}

/** A visitor pauses this long after a failed request, as a browser does not retry at once. */
const PAUSE_AFTER_FAILURE_MS = 50;
const HELD_SAMPLE_MS = 250;

/** What a browser sends: pages come back gzipped, as they do to visitors. */
const BROWSER_HEADERS = { 'accept-encoding': 'gzip, deflate, br, zstd', accept: 'text/html' };
const API_HEADERS = { 'accept-encoding': 'gzip, deflate, br, zstd', accept: 'application/json' };

export function validateLoadOptions(options: LoadOptions): void {
  for (const target of options.targets)
    if (!isLoopback(target.url)) throw new Error(`load: ${target.name} (${target.url}) is not on this machine`);
  for (const [name, value] of Object.entries({
    visitors: options.visitors,
    liveClients: options.liveClients,
    durationMs: options.durationMs,
    maxRequests: options.maxRequests,
  }))
    if (!(Number.isInteger(value) && value >= 0))
      throw new Error(`load: ${name} needs a whole number >= 0, not ${value}`);
  if (options.mix) validateMix(options.mix);
}

/** Runs the load against every target at once, until the duration or the request cap; then reports. */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  validateLoadOptions(options);
  const mix = options.mix ?? DEFAULT_MIX;
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const started = performance.now();
  const deadline = started + options.durationMs;
  let issued = 0;
  const take = () => {
    if (issued >= options.maxRequests) return false;
    issued += 1;
    return true;
  };

  const { ca } = options;
  // Live clients from each source address, or from the default one (with the CA when there is one).
  const sources = options.liveSourceAddresses ?? (ca === undefined ? [] : [undefined]);
  const agents = sources.map((localAddress) => new Agent({ connect: { localAddress, ca }, bodyTimeout: 0 }));
  const runs = options.targets.map((target, t) => {
    const pool = new Pool(new URL(target.url).origin, {
      connections: Math.max(1, options.visitors),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connect: { ca },
    });
    const live = Array.from(
      { length: options.liveClients },
      (_, i) => new SseClient(target.name, target.url, agents.length ? agents[i % agents.length] : undefined),
    );
    return {
      target,
      pool,
      live,
      tally: new Tally(),
      cursors: new CursorPool(),
      maxHeld: 0,
      seed: (options.seed ?? 1) + t * 10_007,
    };
  });

  const sampler = setInterval(() => {
    for (const run of runs) run.maxHeld = Math.max(run.maxHeld, run.live.filter((client) => client.held).length);
  }, HELD_SAMPLE_MS);

  const visitor = async (run: (typeof runs)[number], random: () => number) => {
    while (performance.now() < deadline && take()) {
      const { action, path } = pathFor(pickAction(mix, random()), run.cursors.pick(random()));
      const api = action === 'firstApi' || action === 'olderApi';
      const sent = performance.now();
      let status: number | null = null;
      let retryAfter = false;
      try {
        const response = await run.pool.request({ path, method: 'GET', headers: api ? API_HEADERS : BROWSER_HEADERS });
        status = response.statusCode;
        retryAfter = response.headers['retry-after'] !== undefined;
        const body = await response.body.arrayBuffer();
        if (api && status === 200) run.cursors.add(nextCursor(body, response.headers['content-encoding'] === 'gzip'));
      } catch {
        // No answer: counted as failed below.
      }
      const outcome = run.tally.record(action, path, status, retryAfter, performance.now() - sent);
      if (outcome === 'failed') await sleep(PAUSE_AFTER_FAILURE_MS);
      if (options.thinkTimeMs) await sleep(options.thinkTimeMs);
    }
  };

  try {
    await Promise.all(
      runs.flatMap((run) =>
        Array.from({ length: options.visitors }, (_, v) => visitor(run, seededRandom(run.seed + v))),
      ),
    );
    // Live clients stay for the whole duration, even when the request cap ended the visitors early.
    const left = deadline - performance.now();
    if (left > 0 && options.liveClients > 0) await sleep(left);
  } finally {
    clearInterval(sampler);
  }
  const elapsedMs = performance.now() - started;
  const targets = runs.map((run) => ({
    target: run.target.name,
    ...summarize(run.tally, elapsedMs),
    live: {
      wanted: run.live.length,
      held: run.live.filter((client) => client.held).length,
      maxHeld: Math.max(run.maxHeld, run.live.filter((client) => client.held).length),
      rejected: run.live.reduce((sum, client) => sum + client.rejected, 0),
      reconnects: run.live.reduce((sum, client) => sum + client.reconnects, 0),
      events: run.live.reduce((sum, client) => sum + client.arrivals.length, 0),
    },
  }));
  for (const run of runs) for (const client of run.live) client.close();
  await Promise.all([...runs.map((run) => run.pool.close()), ...agents.map((agent) => agent.close())]);
  return { elapsedMs, requests: issued, capped: issued >= options.maxRequests, targets };
}

function nextCursor(body: ArrayBuffer, gzipped: boolean): string | null {
  try {
    const bytes = gzipped ? gunzipSync(body) : Buffer.from(body);
    return (JSON.parse(bytes.toString('utf8')) as { nextCursor?: string | null }).nextCursor ?? null;
  } catch {
    return null;
  }
}
