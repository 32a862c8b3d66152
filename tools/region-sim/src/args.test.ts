import { describe, expect, it } from 'vitest';
import { parseCommandLine, UsageError } from './args.js';

describe('parseCommandLine', () => {
  it('starts the regions by default', () => {
    expect(parseCommandLine([])).toEqual({ name: 'up', options: {} });
    expect(parseCommandLine(['up'])).toEqual({ name: 'up', options: {} });
    expect(parseCommandLine(['up', '--rate', '5', '--probe-interval', '0.5'])).toEqual({
      name: 'up',
      options: { postsPerSecond: 5, probeIntervalSeconds: 0.5 },
    });
    expect(parseCommandLine(['--rate=3'])).toEqual({ name: 'up', options: { postsPerSecond: 3 } });
  });

  it('answers help', () => {
    for (const argv of [['--help'], ['-h'], ['help'], ['status', '--help'], ['lag', '-h']])
      expect(parseCommandLine(argv)).toEqual({ name: 'help' });
  });

  it('reads the commands on a running set', () => {
    expect(parseCommandLine(['status'])).toEqual({ name: 'status', json: false });
    expect(parseCommandLine(['status', '--json'])).toEqual({ name: 'status', json: true });
    expect(parseCommandLine(['outage', 'westus'])).toEqual({ name: 'outage', region: 'westus', all: false });
    expect(parseCommandLine(['outage', 'westus', '--all'])).toEqual({ name: 'outage', region: 'westus', all: true });
    expect(parseCommandLine(['restore', 'westus'])).toEqual({ name: 'restore', region: 'westus' });
    expect(parseCommandLine(['failover', 'uksouth'])).toEqual({ name: 'failover', region: 'uksouth' });
    expect(parseCommandLine(['drain', 'uksouth'])).toEqual({ name: 'drain', region: 'uksouth' });
    expect(parseCommandLine(['undrain', 'uksouth'])).toEqual({ name: 'undrain', region: 'uksouth' });
    expect(parseCommandLine(['lag', 'southeastasia', '800'])).toEqual({
      name: 'lag',
      region: 'southeastasia',
      ms: 800,
    });
  });

  it('reads a load test: the baseline (normal by default) and what the command line sets over it', () => {
    expect(parseCommandLine(['load'])).toEqual({ name: 'load', baseline: 'normal', overrides: {} });
    expect(
      parseCommandLine(['load', '--baseline', 'chaos', '--visitors', '4', '--live', '100', '--duration', '7.5']),
    ).toEqual({ name: 'load', baseline: 'chaos', overrides: { visitors: 4, live: 100, durationSeconds: 7.5 } });
  });

  it('reads faults at a region’s database front', () => {
    const fault = (...words: string[]) => parseCommandLine(['fault', 'westus', ...words]);
    expect(fault('throttle', '400')).toEqual({
      name: 'fault',
      region: 'westus',
      fault: { kind: 'throttle', requestUnitsPerSecond: 400 },
    });
    expect(fault('latency', '150')).toEqual({ name: 'fault', region: 'westus', fault: { kind: 'latency', ms: 150 } });
    for (const kind of ['stall', 'refuse', 'clear'])
      expect(fault(kind)).toEqual({ name: 'fault', region: 'westus', fault: { kind } });
  });

  it.each([
    [
      ['deploy'],
      'unknown command deploy (expected up, status, outage, restore, failover, drain, undrain, lag, fault, load; see --help)',
    ],
    [['status', '--all'], "Unknown option '--all' (see --help)"],
    [['--verbose'], "Unknown option '--verbose' (see --help)"],
    [['up', '--rate'], "Option '--rate <value>' argument missing (see --help)"],
    [['up', '--rate', 'fast'], '--rate needs a number >= 0, not fast'],
    [['up', '--probe-interval=-1'], '--probe-interval needs a number >= 0, not -1'],
    // parseArgs says this in three sentences on three lines.
    [['up', '--probe-interval', '-1'], "Option '--probe-interval' argument is ambiguous (see --help)"],
    [['outage'], 'outage needs <region> (see --help)'],
    [['drain'], 'drain needs <region> (see --help)'],
    [['undrain', 'westus', 'uksouth'], 'unexpected argument uksouth (see --help)'],
    [['outage', 'eastus'], 'unknown region eastus (expected westus, uksouth, southeastasia)'],
    [['lag', 'westus'], 'lag needs <region> <ms> (see --help)'],
    [['lag', 'westus', '1.5'], 'lag needs whole milliseconds, not 1.5'],
    [['status', 'westus'], 'unexpected argument westus (see --help)'],
    [['fault', 'westus'], 'fault needs <region> <fault> (see --help)'],
    [['fault', 'westus', 'flood'], 'unknown fault flood (expected throttle, latency, stall, refuse, clear)'],
    [['fault', 'westus', 'throttle'], 'throttle needs whole request units per second > 0, not undefined'],
    [['fault', 'westus', 'throttle', '0'], 'throttle needs whole request units per second > 0, not 0'],
    [['fault', 'westus', 'latency', '-5'], "Unknown option '-5' (see --help)"],
    [['fault', 'westus', 'latency', 'slow'], 'latency needs whole milliseconds, not slow'],
    [['fault', 'westus', 'stall', 'now'], 'unexpected argument now (see --help)'],
    [['fault', 'westus', 'throttle', '400', '5'], 'unexpected argument 5 (see --help)'],
    [['load', '--visitors', '2.5'], '--visitors needs a whole number >= 0, not 2.5'],
    [['load', '--duration', 'long'], '--duration needs a number >= 0, not long'],
    [['load', 'westus'], 'unexpected argument westus (see --help)'],
  ])('rejects %j in one line', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(new UsageError(message));
  });
});
