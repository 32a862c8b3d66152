import { describe, expect, it } from 'vitest';
import type { Region } from './config.js';
import { GlobeError } from './errors.js';
import { forEachRegion, formatOutcomes, reporter } from './regions.js';

const regions: Region[] = [
  { name: 'westus', context: 'c-westus', role: 'write' },
  { name: 'uksouth', context: 'c-uksouth', role: 'read' },
  { name: 'southeastasia', context: 'c-southeastasia', role: 'read' },
];

function steps(failing: string[]) {
  const visited: string[] = [];
  const step = async (region: Region) => {
    visited.push(region.name);
    if (failing.includes(region.name)) throw new GlobeError(`${region.name} broke`, 1);
  };
  return { visited, step };
}

describe('forEachRegion', () => {
  it('stops at the first failed region and marks the rest not attempted', async () => {
    const { visited, step } = steps(['uksouth']);
    const outcomes = await forEachRegion(regions, { parallel: false, continueOnError: false }, step);
    expect(visited).toEqual(['westus', 'uksouth']);
    expect(outcomes).toEqual([
      { region: 'westus', state: 'done' },
      { region: 'uksouth', state: 'failed', reason: 'uksouth broke' },
      { region: 'southeastasia', state: 'not attempted' },
    ]);
  });

  it('keeps going with continueOnError', async () => {
    const { visited, step } = steps(['westus']);
    const outcomes = await forEachRegion(regions, { parallel: false, continueOnError: true }, step);
    expect(visited).toEqual(['westus', 'uksouth', 'southeastasia']);
    expect(outcomes.map((outcome) => outcome.state)).toEqual(['failed', 'done', 'done']);
  });

  it('in parallel, starts the read regions only after the write region succeeded', async () => {
    const failed = steps(['westus']);
    expect(
      (await forEachRegion(regions, { parallel: true, continueOnError: false }, failed.step)).map((o) => o.state),
    ).toEqual(['failed', 'not attempted', 'not attempted']);
    const ok = steps([]);
    await forEachRegion(regions, { parallel: true, continueOnError: false }, ok.step);
    expect(ok.visited[0]).toBe('westus');
    expect(ok.visited).toHaveLength(3);
  });

  it('lets programming errors through', async () => {
    await expect(
      forEachRegion(regions, { parallel: false, continueOnError: true }, async () => {
        throw new TypeError('bug');
      }),
    ).rejects.toThrow('bug');
  });
});

describe('formatOutcomes', () => {
  it('aligns one line per region', () => {
    expect(
      formatOutcomes(
        [
          { region: 'westus', state: 'done' },
          { region: 'southeastasia', state: 'failed', reason: 'timeout' },
          { region: 'uksouth', state: 'not attempted' },
          { region: 'eastus', state: 'done', text: 'ready, not baked' },
        ],
        'ready',
      ),
    ).toBe(
      [
        '  westus         ready',
        '  southeastasia  FAILED: timeout',
        '  uksouth        not attempted',
        '  eastus         ready, not baked',
      ].join('\n'),
    );
  });
});

describe('reporter', () => {
  it('prefixes every non-empty line with the region', () => {
    const lines: string[] = [];
    reporter('uksouth', (line) => lines.push(line))('secret/acr-pull configured\n\nsecret/cosmos-db unchanged\n');
    expect(lines).toEqual(['[uksouth] secret/acr-pull configured', '[uksouth] secret/cosmos-db unchanged']);
  });
});
