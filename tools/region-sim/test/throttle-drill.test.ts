import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { serverStates } from '../src/haproxy.js';
import { runLoad } from '../src/load/generator.js';
import { servedBy } from '../src/recovery.js';
import { RegionSet } from '../src/region-set.js';
import { expectEveryPostOnce, streamingIn, until } from './drill-kit.js';

// The throttled read region drill (issue 18): UK South's database gets a request-unit budget (a
// Cosmos DB account at its provisioned RU/s) of one and a half times what its poller spends, and a
// bounded burst of public reads arrives at UK visitors' entry. Throttled is not down: the region stays
// in rotation and serves its pages, and nothing amplifies the load: the commands its database front
// sees follow the poller and the distinct older pages, not the requests. The whole set with 2 s
// probes; every wait is bounded.
const BURST = {
  visitors: 20,
  liveClients: 10,
  durationMs: 10_000,
  maxRequests: 20_000,
  // Heavier on older pages than visitors are: those are the reads that reach the database.
  mix: { page: 40, olderPage: 15, firstApi: 30, olderApi: 15 },
};
/** The frontend keeps an older page this long (apps/frontend, tweets.ts): one read per page per lifetime. */
const OLDER_PAGE_CACHE_S = 5;
/** The poller's reads retry throttling within their 1.5 s deadline: at most this many commands each. */
const COMMANDS_PER_POLL = 3;
let set: RegionSet;

beforeAll(async () => {
  set = await RegionSet.start({ postsPerSecond: 5, probeIntervalSeconds: 2 });
}, 120_000);

afterAll(async () => {
  await set?.stop();
}, 60_000);

it('UK South throttled under a burst of public reads: in rotation, serving, its database commands bounded, every post once', async () => {
  await until(async () => (await servedBy(set, 'uk')) === 'uksouth', 'UK visitors on UK South', 30_000);
  await streamingIn(set, 'westus', 30_000);
  // A full first page (20 posts at 5/s), then what the region costs its database with no visitors: its poller.
  await sleep(4_000);
  const front = set.tier.get('uksouth').front;
  const idleFrom = front.usage;
  await sleep(5_000);
  const idle = front.usage;
  const idleCommandsPerSecond = (idle.commands - idleFrom.commands) / 5;
  const budget = Math.ceil((1.5 * (idle.requestUnits - idleFrom.requestUnits)) / 5);

  await set.fault('uksouth', { kind: 'throttle', requestUnitsPerSecond: budget });
  const states: string[] = [];
  const sampler = setInterval(() => {
    void serverStates(set.haproxySocket).then((entries) => states.push(entries['visitors-uk/uksouth'] ?? 'missing'));
  }, 500);
  const before = front.usage;
  let report: Awaited<ReturnType<typeof runLoad>>;
  try {
    report = await runLoad({ targets: [{ name: 'uk', url: set.entryUrl('uk') }], ca: set.ca, ...BURST });
  } finally {
    clearInterval(sampler);
  }
  const after = front.usage;
  const uk = report.targets[0]!;
  const seconds = report.elapsedMs / 1000;
  const commands = after.commands - before.commands;
  const bound =
    COMMANDS_PER_POLL * idleCommandsPerSecond * seconds +
    uk.olderPages * (Math.floor(seconds / OLDER_PAGE_CACHE_S) + 1);
  console.log(
    `throttled UK South (${budget} RU/s): ${uk.requests} requests in ${seconds.toFixed(1)} s ` +
      `(${uk.rps.toFixed(0)}/s, p50 ${uk.p50.toFixed(0)} ms, p99 ${uk.p99.toFixed(0)} ms, ${JSON.stringify(uk.actions)}); ` +
      `its database: ${commands} commands (${(commands / seconds).toFixed(1)}/s; idle ${idleCommandsPerSecond.toFixed(1)}/s; ` +
      `bound ${bound.toFixed(0)}), ${after.requestUnits - before.requestUnits} RU, ${after.throttled - before.throttled} throttled; ` +
      `${uk.olderPages} distinct older pages; HAProxy: ${states.join(' ')}`,
  );

  // The budget was spent: the region was throttled.
  expect(after.throttled).toBeGreaterThan(before.throttled);
  // In rotation throughout, and serving from UK South.
  expect(states.length).toBeGreaterThanOrEqual(10);
  expect(states.every((state) => state === 'UP')).toBe(true);
  expect(await servedBy(set, 'uk')).toBe('uksouth');
  // Visitors got their pages: every first page and first API page 200, nothing failed beyond deliberate
  // shedding, every live client held.
  expect(Object.keys(uk.actions.page ?? {})).toEqual(['200']);
  expect(Object.keys(uk.actions.firstApi ?? {})).toEqual(['200']);
  expect(uk.failed).toBe(0);
  expect(uk.live.held).toBe(BURST.liveClients);
  // Nothing amplifies: the database's commands follow the poller and the distinct older pages, not the requests.
  expect(commands).toBeLessThanOrEqual(bound);

  await set.fault('uksouth', { kind: 'clear' });
  await expectEveryPostOnce(set);
}, 120_000);
