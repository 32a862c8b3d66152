import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { APPS, type App, imageRepository } from '@kubeonazure/image-refs';
import type { GlobeConfig } from '../config.js';
import { EXIT_FAILED, GlobeError } from '../errors.js';
import { checkoutRoot, git } from '../git.js';
import { type CredentialSource, resolveDigest } from '../registry.js';
import { type Release, releaseComponent, releaseImages } from '../release.js';

/** The image CLI of tools/images (`cli.js <build|push> <app>`): the one way images are built and pushed. */
const IMAGES_CLI = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@kubeonazure/images/package.json')),
  'dist/cli.js',
);

/**
 * Makes a release of the checkout's commit: builds and pushes both images (tools/images), resolves
 * their digests from the registry, and commits them with the version and record into the release
 * component, the one file the overlays take their images from. Only from a clean tree: the images
 * and the manifests are then exactly that commit.
 */
export async function release(
  config: GlobeConfig,
  registry: string | undefined,
  credentials: CredentialSource,
  env: NodeJS.ProcessEnv,
  say: (line: string) => void,
): Promise<number> {
  const root = checkoutRoot(config.overlaysDir);
  if (registry === undefined)
    throw new GlobeError('release needs the registry to push to: set IMAGE_REGISTRY or ACR_NAME');
  if (git(root, ['status', '--porcelain']) !== '') {
    throw new GlobeError(
      `uncommitted changes in ${root}: a release is made from a commit (commit or stash them first)`,
    );
  }
  const commit = git(root, ['rev-parse', 'HEAD']) as string;
  const version = git(root, ['rev-parse', '--short', 'HEAD']) as string;
  for (const app of APPS) {
    for (const action of ['build', 'push']) await images(root, action, app, env, say);
  }
  // What the registry holds under the tag just pushed: the digests every region will pull.
  const digests: Partial<Record<App, string>> = {};
  for (const app of APPS) digests[app] = await resolveDigest(imageRepository(registry, app), version, credentials);
  const made: Release = {
    commit,
    version,
    created: new Date().toISOString(),
    images: releaseImages(registry, digests as Record<App, string>),
  };
  const file = path.join(config.releaseDir, 'kustomization.yaml');
  writeFileSync(file, releaseComponent(made));
  const message = `release ${version}: ${APPS.map((app) => `${app}@${made.images[app].split('@')[1]}`).join(', ')}`;
  if (git(root, ['commit', '--quiet', '--message', message, '--', file]) === undefined) {
    throw new GlobeError(`git commit of ${file} failed`, EXIT_FAILED);
  }
  say(`release ${version} pinned in ${path.relative(root, file)} and committed:`);
  for (const app of APPS) say(`  ${app}  ${made.images[app]}`);
  say('roll it out with: npx globe rollout');
  return 0;
}

/** `node tools/images/dist/cli.js <action> <app>` in the checkout, its output passed through. */
function images(
  root: string,
  action: string,
  app: App,
  env: NodeJS.ProcessEnv,
  say: (line: string) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [IMAGES_CLI, action, app], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => say(`[${app}] ${line}`));
    }
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new GlobeError(`${action} of ${app} failed (tools/images exit ${code})`, EXIT_FAILED)),
    );
  });
}
