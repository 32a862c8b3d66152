#!/usr/bin/env node
// `npm run regions`: the three regions on this machine, in the foreground, until Ctrl-C.
// `npm run regions -- <outage|restore|failover|lag|fault|drain|undrain|status> ...`: act on the running set.
// `npm run regions -- load ...`: a load test on a region set of its own, checked against a baseline.
// `npm run regions -- --help`: the commands, options and exit codes (src/args.ts).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { REGION_NAMES } from '@kubeonazure/regions';
import { type Command, EXIT_FAILED, EXIT_USAGE, parseCommandLine, parseFault, UsageError, USAGE } from './args.js';
import { CONTROL_FILE, readControl, removeControl, writeControl } from './control-file.js';
import { type Baseline, loadTable, missedThresholds, postsLost } from './load/baseline.js';
import { readBaseline } from './load/baseline-file.js';
import { runLoadTest } from './load/load-test.js';
import { RegionSet, type RegionSetOptions, type Status } from './region-set.js';
import { statusTable } from './status-table.js';

function fail(message: string, code = EXIT_USAGE): never {
  process.stderr.write(`regions: ${message}\n`);
  process.exit(code);
}

const command = commandLine(process.argv.slice(2));
if (command.name === 'help') console.log(USAGE);
else if (command.name === 'up') await up(command.options);
else if (command.name === 'load') await load(command);
else await control(command);

function commandLine(argv: string[]): Command {
  try {
    return parseCommandLine(argv);
  } catch (error) {
    if (error instanceof UsageError) fail(error.message);
    throw error;
  }
}

async function up(options: RegionSetOptions): Promise<void> {
  const running = await readControl();
  if (running) fail(`a region set is already running (pid ${running.pid}); stop it with Ctrl-C first`);
  const set = await RegionSet.start(options);
  const server = createServer((request, response) => void handle(set, request, response));
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  await writeControl({
    pid: process.pid,
    port: (server.address() as AddressInfo).port,
    haproxySocket: set.haproxySocket,
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    server.close();
    await set.stop();
    await removeControl();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  for (const app of set.apps) console.log(`REGION ${app.region.name} ${set.frontendUrl(app.region.name)}`);
  for (const entry of set.entries) {
    console.log(`ENTRY ${entry.location} ${set.entryUrl(entry.location)} ${set.entryUrl(entry.location, 'http')}`);
  }
  // The certificates are the simulation's own CA's: trust this file (curl --cacert, NODE_EXTRA_CA_CERTS).
  console.log(`CA ${set.pki.caFile}`);
  console.log(`PROMETHEUS ${set.prometheus.url}`);
  // The account's address only: the apps' users' passwords are this run's and are never printed.
  console.log(`# database: ${set.tier.connectionString} (users frontend, streamer, operator: role-based, as in Azure)`);
  console.log(`# logs: ${set.baseDir}/logs; control: ${CONTROL_FILE}`);
  console.log(
    `# HAProxy runtime API: ${set.haproxySocket} (npx globe drain <region> --sim, or npm run regions -- drain <region>)`,
  );
  console.log('READY');
}

async function load(command: Extract<Command, { name: 'load' }>): Promise<void> {
  let baseline: Baseline;
  try {
    baseline = await readBaseline(command.baseline);
  } catch (error) {
    fail((error as Error).message);
  }
  const shape = { ...baseline.load, ...command.overrides };
  let result: Awaited<ReturnType<typeof runLoadTest>>;
  try {
    result = await runLoadTest({ ...shape, drill: baseline.drill, log: (line) => console.error(line) });
  } catch (error) {
    fail(`the load test could not run: ${error instanceof Error ? error.message : String(error)}`, EXIT_FAILED);
  }
  console.log(`baseline ${command.baseline}: ${baseline.description}`);
  console.log(loadTable(result));
  console.log(
    `${result.elapsedSeconds.toFixed(1)} s${result.capped ? ' (the request cap ended it early)' : ''}; posts: ` +
      `${result.posts.published} published, ${result.posts.stored} stored, ${postsLost(result.posts)} lost or twice`,
  );
  for (const row of result.rows) console.log(`answers at ${row.entry}: ${JSON.stringify(row.statuses)}`);
  for (const event of result.drillEvents) console.log(`drill: ${event}`);
  const missed = missedThresholds(result, baseline.thresholds);
  for (const line of missed) console.log(`MISSED ${line}`);
  console.log(missed.length === 0 ? 'PASS' : `FAIL: ${missed.length} threshold(s) missed`);
  process.exit(missed.length === 0 ? 0 : EXIT_FAILED);
}

async function handle(set: RegionSet, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const region = url.searchParams.get('region') ?? '';
  const reply = (status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
  try {
    if (url.pathname !== '/status' && !REGION_NAMES.includes(region))
      return reply(400, { error: `unknown region ${region}` });
    switch (url.pathname) {
      case '/status':
        return reply(200, await set.status());
      case '/outage':
        await set.outage(region, url.searchParams.get('all') === 'true');
        return reply(200, {
          done: `${region} lost its ${url.searchParams.get('all') === 'true' ? 'database, frontend and streamer' : 'database'}`,
        });
      case '/restore':
        return reply(200, { done: `${region} restored (${await set.restore(region)})` });
      case '/failover':
        await set.failover(region);
        return reply(200, { done: `${region} is the write region` });
      case '/lag': {
        const ms = Number(url.searchParams.get('ms'));
        if (!Number.isInteger(ms) || ms < 0) return reply(400, { error: 'lag needs whole milliseconds >= 0' });
        await set.lag(region, ms);
        return reply(200, { done: `${region} lags ${ms} ms` });
      }
      case '/drain':
      case '/undrain': {
        const drain = url.pathname === '/drain';
        const changed = drain ? await set.drain(region) : await set.undrain(region);
        const word = drain ? 'drained' : 'back in rotation';
        return reply(200, {
          done:
            changed.length === 0
              ? `${region} already was ${word}: nothing changed`
              : `${region} ${word} (${changed.join(', ')})`,
        });
      }
      case '/fault': {
        const words = url.searchParams.getAll('fault');
        let fault: ReturnType<typeof parseFault>;
        try {
          fault = parseFault(words);
        } catch (error) {
          return reply(400, { error: (error as Error).message });
        }
        await set.fault(region, fault);
        return reply(200, { done: `${region}: ${words.join(' ')}` });
      }
      default:
        return reply(404, { error: 'no such command' });
    }
  } catch (error) {
    reply(500, { error: error instanceof Error ? error.message : String(error) });
  }
}

async function control(command: Exclude<Command, { name: 'help' | 'up' | 'load' }>): Promise<void> {
  const running = await readControl();
  if (!running) fail('no region set is running: start one with `npm run regions`');
  const params = new URLSearchParams();
  if ('region' in command) params.set('region', command.region);
  if (command.name === 'outage' && command.all) params.set('all', 'true');
  if (command.name === 'lag') params.set('ms', String(command.ms));
  if (command.name === 'fault') for (const word of faultWords(command.fault)) params.append('fault', word);
  const response = await fetch(`http://127.0.0.1:${running.port}/${command.name}?${params}`, {
    signal: AbortSignal.timeout(120_000),
  });
  const body = (await response.json()) as { done?: string; error?: string };
  if (!response.ok) fail(body.error ?? response.statusText, EXIT_FAILED);
  if (command.name === 'status')
    console.log(command.json ? JSON.stringify(body, null, 2) : statusTable(body as unknown as Status));
  else console.log(body.done);
}

/** The words that name `fault` on the command line, as the running set parses them back. */
function faultWords(fault: Extract<Command, { name: 'fault' }>['fault']): string[] {
  if (fault.kind === 'throttle') return [fault.kind, String(fault.requestUnitsPerSecond)];
  if (fault.kind === 'latency') return [fault.kind, String(fault.ms)];
  return [fault.kind];
}
