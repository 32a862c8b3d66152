import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, realpathSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { App } from './plan.ts';

/** Parts of a workspace package that the Dockerfiles copy into the image (see apps/<app>/Dockerfile). */
const WORKSPACE_PARTS = ['package.json', 'dist', 'views', 'public', 'data'];

export interface RuntimeTree {
  packages: number;
  dependencyBytes: number;
  workspaceBytes: number;
  /** Workspace packages (the app and its libraries) whose `dist` is missing: build first. */
  unbuilt: string[];
}

/** Bytes under `path`, not following symlinks, skipping nested `node_modules` (npm ls lists those itself). */
export function diskBytes(path: string): number {
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path)
    .filter((entry) => entry !== 'node_modules')
    .reduce((sum, entry) => sum + diskBytes(join(path, entry)), 0);
}

/**
 * The production tree of one app as `npm install --omit=dev --workspace apps/<app>` installs it: every
 * package `npm ls` reports, plus the built parts of the workspace packages it links (the app, libs).
 */
export function measureRuntimeTree(root: string, app: App): RuntimeTree {
  const listing = spawnSync('npm', ['ls', '--omit=dev', '--workspace', `apps/${app}`, '--parseable', '--all'], {
    cwd: root,
    encoding: 'utf8',
  });
  // npm ls exits 1 on a merely untidy tree (e.g. extraneous packages) but still lists it.
  const paths = listing.stdout.split('\n').filter((line) => line.length > 0 && line !== root);
  if (paths.length === 0) throw new Error(`npm ls listed no packages for apps/${app}: ${listing.stderr.trim()}`);
  const tree: RuntimeTree = { packages: 0, dependencyBytes: 0, workspaceBytes: 0, unbuilt: [] };
  for (const path of new Set(paths.map((path) => realpathSync(path)))) {
    const inWorkspace = !relative(root, path).split(sep).includes('node_modules');
    if (inWorkspace) {
      tree.workspaceBytes += WORKSPACE_PARTS.reduce((sum, part) => sum + diskBytes(join(path, part)), 0);
      if (!existsSync(join(path, 'dist'))) tree.unbuilt.push(relative(root, path));
    } else {
      tree.packages += 1;
      tree.dependencyBytes += diskBytes(path);
    }
  }
  // The root package.json is copied too: it makes the workspace layout resolvable.
  tree.workspaceBytes += diskBytes(join(root, 'package.json'));
  return tree;
}

const megabytes = (bytes: number): string => `${(bytes / 1_000_000).toFixed(1)} MB`;

export function describeRuntimeTree(app: App, tree: RuntimeTree): string {
  const total = tree.dependencyBytes + tree.workspaceBytes;
  const warning = tree.unbuilt.length > 0 ? ` (not built yet: ${tree.unbuilt.join(', ')})` : '';
  return (
    `runtime tree of ${app}: ${megabytes(total)} = ${tree.packages} production packages ${megabytes(tree.dependencyBytes)}` +
    ` + workspace code ${megabytes(tree.workspaceBytes)}${warning}`
  );
}
