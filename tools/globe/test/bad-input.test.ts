import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { REGION_NAMES, WRITE_REGION } from '@kubeonazure/regions';
import { releaseComponent } from '../src/release.ts';
import { TEST_RELEASE } from '../src/testing.ts';
import { runGlobe } from './run-globe.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'globe-bad-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every bad input ends the same way: one line on stderr, a non-zero exit, no cluster touched. */
async function expectOneLineError(
  args: string[],
  message: string | RegExp,
  options: Parameters<typeof runGlobe>[1] = {},
) {
  const run = await runGlobe(args, options);
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr.split('\n')).toHaveLength(2);
  expect(run.stderr.trimEnd()).toMatch(typeof message === 'string' ? `globe: ${message}` : message);
  expect(run.calls.filter((call) => call.args[0] !== 'config')).toEqual([]);
  return run;
}

describe('bad input', () => {
  it('an unknown region', async () => {
    await expectOneLineError(
      ['status', '--regions', `${WRITE_REGION.name},eastus`],
      `unknown region eastus (configured: ${REGION_NAMES.join(', ')})`,
    );
    await expectOneLineError(['rollout', '--tag', 'abc', '--context', 'eastus=x'], 'unknown region eastus');
  });

  it('a kube context missing from the kubeconfig', async () => {
    const missing = REGION_NAMES.at(-1)!;
    await expectOneLineError(
      ['rollout', '--tag', 'abc'],
      `kube context kubeonazure-${missing} (region ${missing}) is not in the kubeconfig; see kubectl config get-contexts, or set --context ${missing}=<context>`,
      {
        scenario: {
          contexts: REGION_NAMES.filter((region) => region !== missing).map((region) => `kubeonazure-${region}`),
        },
      },
    );
  });

  it('a missing environment variable', async () => {
    const secret = ['frontend', 'Pa55word'].join('-');
    const env = { COSMOS_ACCOUNT: 'account', COSMOS_FRONTEND_PASSWORD: secret, ACR_USERNAME: 'myacr' };
    const run = await expectOneLineError(
      ['secrets'],
      'missing environment variables COSMOS_STREAMER_PASSWORD, ACR_NAME or IMAGE_REGISTRY, ACR_PASSWORD',
      { env },
    );
    expect(run.stderr).not.toContain(secret);
  });

  it('kubectl not installed', async () => {
    await expectOneLineError(
      ['status'],
      'kubectl not found on PATH: install kubectl (https://kubernetes.io/docs/tasks/tools/) or fix PATH',
      { withoutKubectl: true },
    );
  });

  it('a missing or unknown command, option or tag', async () => {
    await expectOneLineError(
      ['deploy'],
      'unknown command deploy (expected secrets, release, rollout, rollback, status, drain or undrain; see --help)',
    );
    await expectOneLineError(['rollout', '--bake', 'long'], '--bake long is not a whole number of seconds');
    await expectOneLineError(['rollout', '--tag', 'a/b'], '--tag a/b is not a valid image tag');
    await expectOneLineError(['status', '--watch'], "Unknown option '--watch' (see --help)");
  });

  it('a config file that is missing or invalid', async () => {
    await expectOneLineError(
      ['status', '--config', path.join(dir, 'none.json')],
      /^globe: cannot read config .*none\.json: file not found$/,
    );
    const invalid = path.join(dir, 'invalid.json');
    writeFileSync(invalid, JSON.stringify({ regions: ['westus'] }));
    await expectOneLineError(['status', '--config', invalid], /^globe: invalid config .*invalid\.json: namespace: /);
  });

  it('a region without an overlay', async () => {
    const config = path.join(dir, 'no-overlays.json');
    mkdirSync(path.join(dir, 'release'));
    writeFileSync(path.join(dir, 'release/kustomization.yaml'), releaseComponent(TEST_RELEASE));
    const file = {
      namespace: 'kubeonazure',
      overlays: 'missing-overlays',
      release: 'release',
      imageName: 'kubeonazure',
      frontendService: 'frontend',
      contextPrefix: 'kubeonazure',
    };
    writeFileSync(config, JSON.stringify(file));
    await expectOneLineError(
      ['rollout', '--allow-stale', '--regions', WRITE_REGION.name, '--config', config],
      `no overlay for region ${WRITE_REGION.name}: ${path.join(dir, 'missing-overlays', WRITE_REGION.name)} does not exist`,
    );
  });

  it('--help prints the usage and exits 0', async () => {
    const run = await runGlobe(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: globe <command> [options]');
    expect(run.calls).toEqual([]);
  });

  it('`npx globe` (the workspace bin) prints its own errors as one line, no npm or Nx noise', async () => {
    const workspace = fileURLToPath(new URL('../../../', import.meta.url));
    const npx = promisify(execFile)('npx', ['globe', 'deploy'], { cwd: workspace });
    const failed = await npx.then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failed).toMatchObject({
      code: 2,
      stdout: '',
      stderr:
        'globe: unknown command deploy (expected secrets, release, rollout, rollback, status, drain or undrain; see --help)\n',
    });
  });
});
