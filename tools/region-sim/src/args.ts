import type { ParseArgsOptionsConfig } from 'node:util';
import { REGION_NAMES } from '@kubeonazure/regions';
import { strictArgs } from '@kubeonazure/tool-kit';
import type { Fault } from './database-tier.js';

/** Exit codes: 1 the command failed, 2 bad input or setup (nothing was done). */
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export const USAGE = `npm run regions: the regions on this machine, in the foreground; or act on the running set

Usage: npm run regions [-- [up] [options]]
       npm run regions -- <command> [options]

Commands:
  up                      start every region (the default) and print REGION, ENTRY, CA and READY lines;
                          Ctrl-C stops them
    --rate <n>            posts per second from the X API stand-in
    --probe-interval <s>  Traffic Manager's probe interval (shorter for drills)
  status [--json]         per region: role, database, lag, /healthz, newest-post age, lease holder
  outage <region> [--all] the region loses its database (--all: its frontend and streamer too)
  restore <region>        the region gets them back (a former write region returns as a standby)
  failover <region>       the region becomes the write region (forced: without its write region for
                          10 s the set fails over by itself, to the next in the region list's order)
  lag <region> <ms>       whole milliseconds of replication lag for one region
  drain <region>          take the region out of every visitor entry (HAProxy maintenance, as a disabled
                          Traffic Manager endpoint): no new visitors, open connections stay
  undrain <region>        put it back
  fault <region> <fault>  a fault at the region's database front, as Cosmos DB brings them:
    throttle <RU/s>       a request-unit budget per second; beyond it commands get 16500 (RetryAfterMs)
    latency <ms>          whole milliseconds added before every request
    stall                 requests accepted and never answered
    refuse                connections refused
    clear                 no faults (held requests answered, connections taken again)
  load                    a load test on a region set of its own (not the running one): visitors and
                          live clients on every visitor entry, per region req/s, latency, errors,
                          live clients held, database commands/s and RU/s, frontend memory; exit ${EXIT_FAILED}
                          naming each threshold of the baseline missed
    --baseline <name>     normal (the default), chaos (a read region lost, then the write region,
                          during the load; 0 posts lost), smoke (behaviour only), or a .json file
    --visitors <n>        virtual visitors per entry (the baseline's otherwise)
    --live <n>            live clients on /events per entry
    --duration <s>        seconds of load
  --help                  this text

Regions: ${REGION_NAMES.join(', ')}

Exit codes: 0 done, ${EXIT_FAILED} the command failed (a region did not start, the running set answered with an error,
or a load test missed a threshold), ${EXIT_USAGE} bad input or setup (unknown command or option, a bad value, no
region set running, or one already running).`;

export type Command =
  | { name: 'help' }
  | { name: 'up'; options: { postsPerSecond?: number; probeIntervalSeconds?: number } }
  | { name: 'status'; json: boolean }
  | { name: 'outage'; region: string; all: boolean }
  | { name: 'restore' | 'failover' | 'drain' | 'undrain'; region: string }
  | { name: 'lag'; region: string; ms: number }
  | { name: 'fault'; region: string; fault: Fault }
  | {
      name: 'load';
      baseline: string;
      overrides: { visitors?: number; live?: number; durationSeconds?: number };
    };

/** Bad input: the CLI prints the message as one line and exits with EXIT_USAGE. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const OPTIONS = {
  up: { rate: { type: 'string' }, 'probe-interval': { type: 'string' } },
  status: { json: { type: 'boolean' } },
  outage: { all: { type: 'boolean' } },
  restore: {},
  failover: {},
  drain: {},
  undrain: {},
  lag: {},
  fault: {},
  load: {
    baseline: { type: 'string' },
    visitors: { type: 'string' },
    live: { type: 'string' },
    duration: { type: 'string' },
  },
} satisfies Record<string, ParseArgsOptionsConfig>;

/** Positional arguments after the command name. */
const POSITIONALS: Record<keyof typeof OPTIONS, string[]> = {
  up: [],
  status: [],
  outage: ['region'],
  restore: ['region'],
  failover: ['region'],
  drain: ['region'],
  undrain: ['region'],
  lag: ['region', 'ms'],
  // and a value for throttle and latency (parseFault)
  fault: ['region', 'fault'],
  load: [],
};

export function parseCommandLine(argv: string[]): Command {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') return { name: 'help' };
  // `npm run regions -- --rate 5` is `up` with options, as `npm run regions` alone is `up`.
  const [name, args] = first === undefined || first.startsWith('-') ? ['up', argv] : [first, rest];
  if (!Object.hasOwn(OPTIONS, name))
    throw new UsageError(`unknown command ${name} (expected ${Object.keys(OPTIONS).join(', ')}; see --help)`);
  const command = name as keyof typeof OPTIONS;
  const { values, positionals } = strictArgs(
    args,
    { ...OPTIONS[command], help: { type: 'boolean', short: 'h' } },
    usageError,
  );
  if (values.help === true) return { name: 'help' };

  const expected = POSITIONALS[command];
  // A fault's own words are counted by parseFault.
  if (command !== 'fault' && positionals.length > expected.length)
    throw new UsageError(`unexpected argument ${positionals[expected.length]} (see --help)`);
  if (positionals.length < expected.length)
    throw new UsageError(`${command} needs ${expected.map((arg) => `<${arg}>`).join(' ')} (see --help)`);

  switch (command) {
    case 'up':
      return {
        name: command,
        options: {
          ...optionalNumber('rate', values.rate, 'postsPerSecond'),
          ...optionalNumber('probe-interval', values['probe-interval'], 'probeIntervalSeconds'),
        },
      };
    case 'status':
      return { name: command, json: values.json === true };
    case 'outage':
      return { name: command, region: region(positionals[0]), all: values.all === true };
    case 'restore':
    case 'failover':
    case 'drain':
    case 'undrain':
      return { name: command, region: region(positionals[0]) };
    case 'lag': {
      const ms = positionals[1] ?? '';
      if (!/^\d+$/.test(ms)) throw new UsageError(`lag needs whole milliseconds, not ${ms}`);
      return { name: command, region: region(positionals[0]), ms: Number(ms) };
    }
    case 'fault':
      return { name: command, region: region(positionals[0]), fault: parseFault(positionals.slice(1)) };
    case 'load':
      return {
        name: command,
        baseline: typeof values.baseline === 'string' ? values.baseline : 'normal',
        overrides: {
          ...optionalWhole('visitors', values.visitors, 'visitors'),
          ...optionalWhole('live', values.live, 'live'),
          ...optionalNumber('duration', values.duration, 'durationSeconds'),
        },
      };
  }
}

/** `throttle <RU/s>`, `latency <ms>`, `stall`, `refuse` or `clear`. */
export function parseFault([kind, value, ...extra]: string[]): Fault {
  const withValue = kind === 'throttle' || kind === 'latency';
  if (kind !== 'stall' && kind !== 'refuse' && kind !== 'clear' && !withValue)
    throw new UsageError(`unknown fault ${kind} (expected throttle, latency, stall, refuse, clear)`);
  const unexpected = withValue ? extra[0] : value;
  if (unexpected !== undefined) throw new UsageError(`unexpected argument ${unexpected} (see --help)`);
  if (!withValue) return { kind };
  if (kind === 'throttle') {
    if (value === undefined || !/^\d+$/.test(value) || Number(value) === 0)
      throw new UsageError(`throttle needs whole request units per second > 0, not ${value}`);
    return { kind, requestUnitsPerSecond: Number(value) };
  }
  if (value === undefined || !/^\d+$/.test(value))
    throw new UsageError(`latency needs whole milliseconds, not ${value}`);
  return { kind, ms: Number(value) };
}

function region(name: string | undefined): string {
  if (name === undefined || !REGION_NAMES.includes(name))
    throw new UsageError(`unknown region ${name} (expected ${REGION_NAMES.join(', ')})`);
  return name;
}

function optionalNumber<K extends string>(option: string, value: unknown, key: K): Partial<Record<K, number>> {
  if (typeof value !== 'string') return {};
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0)
    throw new UsageError(`--${option} needs a number >= 0, not ${value}`);
  return { [key]: number } as Partial<Record<K, number>>;
}

function optionalWhole<K extends string>(option: string, value: unknown, key: K): Partial<Record<K, number>> {
  if (typeof value === 'string' && !/^\d+$/.test(value))
    throw new UsageError(`--${option} needs a whole number >= 0, not ${value}`);
  return optionalNumber(option, value, key);
}

function usageError(message: string): UsageError {
  return new UsageError(`${message} (see --help)`);
}
