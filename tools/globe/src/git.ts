import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { GlobeError } from './errors.js';

/**
 * What a release ships besides its release component, relative to the repository root: what goes
 * into the images (the apps, their libraries, the lockfile, the Dockerfile) and the manifests.
 */
export const SHIPPED_PATHS = [
  'apps',
  'libs',
  'package.json',
  'package-lock.json',
  'tools/images/Dockerfile',
  'tools/images/Dockerfile.dockerignore',
  'deploy/k8s',
];

/** `git <args>` in `cwd`; stdout trimmed, or undefined when git fails (not a checkout, unknown ref). */
export function git(cwd: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** The root of the checkout holding `dir`; a GlobeError when there is none. */
export function checkoutRoot(dir: string): string {
  const root = git(dir, ['rev-parse', '--show-toplevel']);
  if (root === undefined) throw new GlobeError(`${dir} is not in a git checkout`);
  return root;
}

/** The full commit `ref` names in the checkout, or undefined when it names none. */
export function commitOf(root: string, ref: string): string | undefined {
  return git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]) || undefined;
}

/**
 * The shipped files (SHIPPED_PATHS, except the release component `releaseDir`) that differ between
 * `commit` and the working tree: what a release of `commit` would deploy without having built.
 */
export function shippedChangesSince(root: string, commit: string, releaseDir: string): string[] {
  const exclude = `:(exclude)${path.relative(root, releaseDir)}`;
  const out = git(root, ['diff', '--name-only', commit, '--', ...SHIPPED_PATHS, exclude]);
  if (out === undefined) throw new GlobeError(`git diff ${commit} failed in ${root}`);
  return out.split('\n').filter((line) => line !== '');
}
