import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * The commit of the checkout this CLI runs from, as the images are tagged (`git rev-parse --short
 * HEAD`), with `-dirty` when the tree has uncommitted changes: `npx globe` rebuilds from the checkout,
 * and the workspace's package version (0.0.0, never published) would say nothing.
 */
export function version(): string {
  const git = (args: string[]) =>
    execFileSync('git', args, { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const commit = git(['rev-parse', '--short', 'HEAD']);
    return git(['status', '--porcelain']) === '' ? commit : `${commit}-dirty`;
  } catch {
    return 'unknown (not run from a git checkout)';
  }
}
