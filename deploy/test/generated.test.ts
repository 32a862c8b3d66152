import { readdirSync, readFileSync } from 'node:fs';
import { REGIONS } from '@kubeonazure/regions';
import { describe, expect, it } from 'vitest';
import { GENERATE_COMMAND, generatedFiles, staleFiles } from '../scripts/generated.ts';
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
    const present = [
      ...readdirSync(`${deployDir}k8s/overlays`).map((name) => `k8s/overlays/${name}`),
      ...readdirSync(`${deployDir}acs-engine`).map((name) => `acs-engine/${name}`),
    ];
    expect(staleFiles(present, REGIONS), `these are ${outOfStep}`).toEqual([]);
  });
});

describe('staleFiles', () => {
  it('picks the overlay folders and apimodels of regions not listed, and nothing else', () => {
    const present = [
      'k8s/overlays/westus',
      'k8s/overlays/eastus',
      'acs-engine/westus.json',
      'acs-engine/eastus.json',
      'acs-engine/README.md',
      'acs-engine/.gitignore',
      'acs-engine/_output',
    ];
    expect(staleFiles(present, REGIONS)).toEqual(['k8s/overlays/eastus', 'acs-engine/eastus.json']);
  });
});
