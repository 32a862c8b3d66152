import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REGION_NAMES, REGIONS } from '@kubeonazure/regions';
import { describe, expect, it } from 'vitest';
import { GENERATE_COMMAND, generatedFiles, presentFiles, staleFiles, writeGenerated } from '../scripts/generated.ts';
import { repoRoot } from './support.ts';

const deployDir = `${repoRoot}deploy/`;
const outOfStep = `out of step with libs/regions/regions.json: run \`${GENERATE_COMMAND}\` and commit the result`;

describe('the generated overlays and apimodels', () => {
  it('are checked in exactly as the generator writes them', () => {
    for (const [path, content] of generatedFiles(REGIONS)) {
      let checkedIn: string | undefined;
      try {
        checkedIn = readFileSync(`${deployDir}${path}`, 'utf8');
      } catch {
        checkedIn = undefined;
      }
      expect(checkedIn, `deploy/${path} is ${outOfStep}`).toBe(content);
    }
  });

  it('exist for listed regions only', () => {
    expect(staleFiles(presentFiles(deployDir), REGIONS), `these are ${outOfStep}`).toEqual([]);
  });
});

describe('writeGenerated', () => {
  it('removes the overlay and apimodel of a region no longer listed, and keeps the rest of acs-engine/', () => {
    const copy = mkdtempSync(join(tmpdir(), 'deploy-generate-'));
    try {
      cpSync(`${deployDir}k8s/overlays`, join(copy, 'k8s/overlays'), { recursive: true });
      cpSync(`${deployDir}acs-engine`, join(copy, 'acs-engine'), { recursive: true });
      const gone = REGIONS.at(-1)!.name;
      const { removed } = writeGenerated(copy, REGIONS.slice(0, -1));
      expect(removed).toEqual([`k8s/overlays/${gone}`, `acs-engine/${gone}.json`]);
      expect(readdirSync(join(copy, 'k8s/overlays')).sort()).toEqual(REGION_NAMES.slice(0, -1).toSorted());
      expect(readdirSync(join(copy, 'acs-engine'))).toContain('README.md');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

describe('staleFiles', () => {
  it('picks the overlay folders and apimodels of regions not listed, and nothing else', () => {
    const present = [
      `k8s/overlays/${REGION_NAMES[0]}`,
      'k8s/overlays/eastus',
      `acs-engine/${REGION_NAMES[0]}.json`,
      'acs-engine/eastus.json',
      'acs-engine/README.md',
      'acs-engine/.gitignore',
      'acs-engine/_output',
    ];
    expect(staleFiles(present, REGIONS)).toEqual(['k8s/overlays/eastus', 'acs-engine/eastus.json']);
  });
});
