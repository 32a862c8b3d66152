import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { EXIT_USAGE, USAGE } from '../src/args.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** The built CLI as `npm run regions -- <args>` runs it. */
async function regions(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

it('--help prints the usage with the exit codes and exits 0', async () => {
  expect(await regions(['--help'])).toEqual({ code: 0, stdout: `${USAGE}\n`, stderr: '' });
  expect(USAGE).toMatch(/Exit codes: 0 done, 1 the command failed .*\n.*, 2 bad input or setup/);
});

it('an unknown command or option is one line on stderr and exit 2, before anything starts', async () => {
  expect(await regions(['deploy'])).toEqual({
    code: EXIT_USAGE,
    stdout: '',
    stderr:
      'regions: unknown command deploy (expected up, status, outage, restore, failover, drain, undrain, lag, fault, load; see --help)\n',
  });
  expect(await regions(['status', '--all'])).toEqual({
    code: EXIT_USAGE,
    stdout: '',
    stderr: "regions: Unknown option '--all' (see --help)\n",
  });
});

it('a bad fault is one line on stderr and exit 2, before anything is asked of the running set', async () => {
  expect(await regions(['fault', 'westus', 'throttle', '0'])).toEqual({
    code: EXIT_USAGE,
    stdout: '',
    stderr: 'regions: throttle needs whole request units per second > 0, not 0\n',
  });
});

it('a load test with a baseline it cannot read is one line on stderr and exit 2, before any region starts', async () => {
  const missing = await regions(['load', '--baseline', 'storm']);
  expect(missing).toMatchObject({ code: EXIT_USAGE, stdout: '' });
  expect(missing.stderr).toMatch(/^regions: no baseline storm \(.*baselines\/storm\.json\)\n$/);
  expect(await regions(['load', '--live', 'many'])).toEqual({
    code: EXIT_USAGE,
    stdout: '',
    stderr: 'regions: --live needs a whole number >= 0, not many\n',
  });
});
