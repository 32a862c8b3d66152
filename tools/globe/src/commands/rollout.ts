import { existsSync } from 'node:fs';
import path from 'node:path';
import type { GlobeConfig, Region } from '../config.js';
import { EXIT_FAILED, GlobeError } from '../errors.js';
import type { Kubectl } from '../kubectl.js';
import { pinImageTags, type PinnedOverlay } from '../manifests.js';
import { forEachRegion, formatOutcomes, reporter, type RegionRunOptions } from '../regions.js';

export interface RolloutOptions extends RegionRunOptions {
  tag: string;
  /** The registry the images were pushed to (IMAGE_REGISTRY / ACR_NAME); the overlay's when absent. */
  registry: string | undefined;
  /** Per Deployment, as `kubectl rollout status --timeout` takes it. */
  timeout: string;
  dryRun: boolean;
}

/**
 * Applies every selected region's overlay with the images pinned to `tag`, waiting for each
 * Deployment. All overlays are rendered before anything is applied, so a broken overlay
 * changes no region. Returns the exit code: 0 when every region is ready.
 */
export async function rollout(
  config: GlobeConfig,
  kubectl: Kubectl,
  options: RolloutOptions,
  say: (line: string) => void,
): Promise<number> {
  const overlays = new Map<string, PinnedOverlay>();
  for (const region of config.regions) {
    const dir = overlayDir(config, region);
    if (!existsSync(dir)) throw new GlobeError(`no overlay for region ${region.name}: ${dir} does not exist`);
    const rendered = await kubectl.run(['kustomize', dir], { readOnly: true });
    overlays.set(region.name, pinImageTags(rendered, { imageName: config.imageName, tag: options.tag, registry: options.registry }));
  }

  const outcomes = await forEachRegion(config.regions, options, async (region) => {
    const overlay = overlays.get(region.name);
    if (overlay === undefined) throw new Error(`no rendered overlay for ${region.name}`);
    await applyAndWait(config, region, overlay, kubectl, options, say);
  });

  if (options.dryRun) {
    say('dry run: nothing was applied');
    return 0;
  }
  say(`rollout of ${options.tag}:`);
  say(formatOutcomes(outcomes, 'applied, every Deployment ready'));
  return outcomes.every((outcome) => outcome.state === 'done') ? 0 : EXIT_FAILED;
}

async function applyAndWait(
  config: GlobeConfig,
  region: Region,
  overlay: PinnedOverlay,
  kubectl: Kubectl,
  options: RolloutOptions,
  say: (line: string) => void,
): Promise<void> {
  const context = ['--context', region.context];
  const report = reporter(region.name, say);
  report(`applying overlay ${region.name} with ${overlay.images.join(', ')}`);
  report(
    await kubectl.run([...context, 'apply', '-f', '-'], {
      stdin: overlay.manifest,
      stdinNote: `overlay ${region.name} with ${overlay.images.join(', ')}`,
    }),
  );
  for (const deployment of overlay.deployments) {
    const namespace = deployment.namespace ?? config.namespace;
    report(
      await kubectl.run([
        ...context,
        '--namespace',
        namespace,
        'rollout',
        'status',
        `deployment/${deployment.name}`,
        `--timeout=${options.timeout}`,
      ]),
    );
  }
}

function overlayDir(config: GlobeConfig, region: Region): string {
  return path.join(config.overlaysDir, region.name);
}
