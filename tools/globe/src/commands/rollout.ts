import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { GlobeConfig, Region } from '../config.js';
import { EXIT_FAILED, GlobeError } from '../errors.js';
import type { Kubectl } from '../kubectl.js';
import { type PinnedOverlay, pinnedOverlay, pinningKustomization } from '../manifests.js';
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
  const pinRoot = mkdtempSync(path.join(tmpdir(), 'globe-rollout-'));
  try {
    for (const region of config.regions) {
      const dir = overlayDir(config, region);
      if (!existsSync(dir)) throw new GlobeError(`no overlay for region ${region.name}: ${dir} does not exist`);
      const rendered = await kubectl.run(['kustomize', dir], { readOnly: true });
      const pin = { imageName: config.imageName, tag: options.tag, registry: options.registry };
      // The overlay again, through a kustomization that pins its images (kustomize's `images` field).
      const pinDir = path.join(pinRoot, region.name);
      mkdirSync(pinDir);
      writeFileSync(
        path.join(pinDir, 'kustomization.yaml'),
        pinningKustomization(path.relative(pinDir, dir), rendered, pin),
      );
      overlays.set(region.name, pinnedOverlay(await kubectl.run(['kustomize', pinDir], { readOnly: true }), pin));
    }
  } finally {
    rmSync(pinRoot, { recursive: true, force: true });
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
