import { describe, expect, it } from 'vitest';
import { parseCommandLine } from './args.js';
import { GlobeError } from './errors.js';

describe('parseCommandLine', () => {
  const common = {
    overrides: { regions: undefined, contextPrefix: undefined, contexts: [], healthzUrls: [], streamerUrls: [] },
  };
  const applyDefaults = { common, timeout: '5m', parallel: false, continueOnError: false, dryRun: false };

  it('reads rollout with its defaults: the pinned release, no bake', () => {
    expect(parseCommandLine(['rollout'])).toEqual({
      name: 'rollout',
      tag: undefined,
      allowStale: false,
      bake: undefined,
      sim: false,
      ...applyDefaults,
    });
  });

  it('reads a tag, --allow-stale, a bake, its limits and where drained regions are read', () => {
    expect(
      parseCommandLine([
        'rollout',
        '--tag',
        '1a2b3c4',
        '--allow-stale',
        '--bake',
        '30',
        '--max-post-age',
        '60',
        '--sim',
      ]),
    ).toMatchObject({
      tag: '1a2b3c4',
      allowStale: true,
      sim: true,
      bake: { seconds: 30, maxPostAgeSeconds: 60, intervalMs: 2000 },
    });
  });

  it('reads release and rollback', () => {
    expect(parseCommandLine(['release'])).toEqual({ name: 'release', common });
    expect(parseCommandLine(['rollback'])).toEqual({ name: 'rollback', to: undefined, ...applyDefaults });
    expect(parseCommandLine(['rollback', '--to', '1a2b3c4', '--parallel'])).toMatchObject({
      to: '1a2b3c4',
      parallel: true,
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
          streamerUrls: [],
        },
      },
    });
  });

  it('reads drain and undrain: the region, and --sim for the simulation', () => {
    expect(parseCommandLine(['drain', 'uksouth'])).toEqual({
      name: 'drain',
      region: 'uksouth',
      sim: false,
      common,
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
    [
      ['deploy'],
      'unknown command deploy (expected secrets, release, rollout, rollback, status, drain or undrain; see --help)',
    ],
    [['rollout', '--bake', '2m'], '--bake 2m is not a whole number of seconds'],
    [['rollback', '--tag', 'abc'], "Unknown option '--tag' (see --help)"],
    [['drain'], 'drain needs <region> (see --help)'],
    [['undrain', 'uksouth', 'westus'], 'unexpected argument westus (see --help)'],
    [['drain', 'uksouth', '--dry-run'], "Unknown option '--dry-run' (see --help)"],
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
