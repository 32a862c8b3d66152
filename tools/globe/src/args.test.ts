import { describe, expect, it } from 'vitest';
import { parseCommandLine } from './args.js';
import { GlobeError } from './errors.js';

describe('parseCommandLine', () => {
  it('reads rollout with its defaults', () => {
    expect(parseCommandLine(['rollout', '--tag', '1a2b3c4'])).toEqual({
      name: 'rollout',
      common: { overrides: { regions: undefined, contextPrefix: undefined, contexts: [], healthzUrls: [] } },
      tag: '1a2b3c4',
      timeout: '5m',
      parallel: false,
      continueOnError: false,
      dryRun: false,
    });
  });

  it('reads the common options and repeated region=value pairs', () => {
    const command = parseCommandLine([
      'status',
      '--json',
      '--config',
      'my.json',
      '--regions=westus,uksouth',
      '--context-prefix',
      'prod',
      '--context',
      'westus=a',
      '--context',
      'uksouth=b',
      '--healthz-url',
      'westus=http://127.0.0.1:1/healthz',
    ]);
    expect(command).toEqual({
      name: 'status',
      json: true,
      sim: false,
      common: {
        config: 'my.json',
        overrides: {
          regions: 'westus,uksouth',
          contextPrefix: 'prod',
          contexts: ['westus=a', 'uksouth=b'],
          healthzUrls: ['westus=http://127.0.0.1:1/healthz'],
        },
      },
    });
  });

  it('reads drain and undrain: the region, and --sim for the simulation', () => {
    expect(parseCommandLine(['drain', 'uksouth'])).toEqual({
      name: 'drain',
      region: 'uksouth',
      sim: false,
      common: { overrides: { contexts: [], healthzUrls: [] } },
    });
    expect(parseCommandLine(['undrain', 'uksouth', '--sim'])).toMatchObject({
      name: 'undrain',
      region: 'uksouth',
      sim: true,
    });
    expect(parseCommandLine(['status', '--sim'])).toMatchObject({ name: 'status', sim: true });
  });

  it('answers help', () => {
    expect(parseCommandLine([])).toEqual({ name: 'help' });
    expect(parseCommandLine(['--help'])).toEqual({ name: 'help' });
    expect(parseCommandLine(['status', '--help'])).toEqual({ name: 'help' });
  });

  it('answers version', () => {
    expect(parseCommandLine(['--version'])).toEqual({ name: 'version' });
  });

  it.each([
    [['deploy'], 'unknown command deploy (expected secrets, rollout, status, drain or undrain; see --help)'],
    [['drain'], 'drain needs <region> (see --help)'],
    [['undrain', 'uksouth', 'westus'], 'unexpected argument westus (see --help)'],
    [['drain', 'uksouth', '--dry-run'], "Unknown option '--dry-run' (see --help)"],
    [['rollout'], 'rollout needs --tag <tag> (e.g. the git short sha)'],
    [['rollout', '--tag', 'a:b'], '--tag a:b is not a valid image tag'],
    [['rollout', '--tag', 'abc', '--timeout', '5 minutes'], '--timeout 5 minutes is not a duration like 90s, 5m or 1h'],
    [['status', '--tag', 'abc'], "Unknown option '--tag' (see --help)"],
    [['secrets', '--json'], "Unknown option '--json' (see --help)"],
    [['status', 'westus'], 'unexpected argument westus (see --help)'],
    // parseArgs says this in three sentences on three lines.
    [['rollout', '--tag', '-1'], "Option '--tag' argument is ambiguous (see --help)"],
  ])('rejects %j in one line', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(new GlobeError(message));
  });
});
