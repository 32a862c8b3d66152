import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const git = async (args: string[]) =>
  (await run('git', args, { cwd: fileURLToPath(new URL('.', import.meta.url)) })).stdout.trim();

it('globe --version prints the checkout commit and exits 0', async () => {
  const { stdout, stderr } = await run(process.execPath, [cli, '--version']);
  const commit = await git(['rev-parse', '--short', 'HEAD']);
  const dirty = (await git(['status', '--porcelain'])) !== '';
  expect(stdout).toBe(`globe ${commit}${dirty ? '-dirty' : ''}\n`);
  expect(stderr).toBe('');
});
