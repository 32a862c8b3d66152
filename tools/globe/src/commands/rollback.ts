import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { GlobeConfig } from '../config.js';
import { GlobeError } from '../errors.js';
import { checkoutRoot, commitOf, git } from '../git.js';
import type { Kubectl } from '../kubectl.js';
import { forEachRegion, formatOutcomes } from '../regions.js';
import { parseReleaseComponent, type Release } from '../release.js';
import { type ApplyOptions, applyAndWait, exitCode, nowRunning, renderReleased } from './rollout.js';

export interface RollbackOptions extends ApplyOptions {
  /** The release to go back to: its version (short commit), or a commit of the release component; default the one before the pinned one. */
  to: string | undefined;
}

interface PastRelease {
  /** The commit that wrote this release into the release component. */
  at: string;
  release: Release;
}

/**
 * Deploys an earlier release to every selected region: the release component and manifests of the
 * commit that pinned it (not today's manifests under old images), rendered from git and applied as a
 * rollout applies. The summary says what each region runs afterwards.
 */
export async function rollback(
  config: GlobeConfig,
  kubectl: Kubectl,
  options: RollbackOptions,
  say: (line: string) => void,
): Promise<number> {
  const root = checkoutRoot(config.overlaysDir);
  const target = chooseRelease(root, config, options.to);
  const k8s = path.dirname(path.relative(root, config.overlaysDir));
  if (path.relative(k8s, path.relative(root, config.releaseDir)).startsWith('..')) {
    throw new GlobeError(`the release component ${config.releaseDir} is not beside the overlays`);
  }
  say(`rolling back to release ${target.release.version} (pinned by commit ${target.at.slice(0, 12)})`);
  const tree = mkdtempSync(path.join(tmpdir(), 'globe-rollback-'));
  try {
    // The manifests of that commit, as they were, written into the temporary folder only (not the
    // checkout's files, not its index).
    execFileSync('git', ['--work-tree', tree, 'restore', '--source', target.at, '--worktree', '--', k8s], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const overlays = await renderReleased(
      config,
      path.join(tree, path.relative(root, config.overlaysDir)),
      kubectl,
      target.release,
    );
    const outcomes = await forEachRegion(config.regions, options, (region) =>
      applyAndWait(config, region, overlays.get(region.name) as never, kubectl, options, say),
    );
    if (options.dryRun) {
      say('dry run: nothing was applied');
      return 0;
    }
    say(`rollback to ${target.release.version}:`);
    say(formatOutcomes(outcomes, 'applied, every Deployment ready'));
    say(await nowRunning(config, kubectl));
    return exitCode(outcomes);
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}

/** The commits that pinned a release, newest first, from the release component's history. */
export function releaseHistory(root: string, releaseDir: string): PastRelease[] {
  const file = path.relative(root, path.join(releaseDir, 'kustomization.yaml'));
  const commits = (git(root, ['log', '--format=%H', '--', file]) ?? '').split('\n').filter((line) => line !== '');
  return commits.flatMap((at) => {
    const text = git(root, ['show', `${at}:${file}`]);
    const release = text === undefined ? null : parseReleaseComponent(text, `${file} at ${at}`);
    return release === null ? [] : [{ at, release }];
  });
}

function chooseRelease(root: string, config: GlobeConfig, to: string | undefined): PastRelease {
  const history = releaseHistory(root, config.releaseDir);
  if (to !== undefined) {
    const commit = commitOf(root, to);
    const found = history.find((past) => past.release.version === to || past.at === commit);
    if (found === undefined) {
      throw new GlobeError(
        `${to} is no release of this checkout (releases: ${history.map((past) => past.release.version).join(', ') || 'none'})`,
      );
    }
    return found;
  }
  const [current, ...earlier] = history;
  const previous = earlier.find((past) => past.release.version !== current?.release.version);
  if (previous === undefined)
    throw new GlobeError('no release before the pinned one to go back to; name one with --to');
  return previous;
}
