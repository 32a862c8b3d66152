import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type App, APPS, imageRepository } from '@kubeonazure/image-refs';
import { readDeployments } from '../cluster-state.js';
import type { GlobeConfig, Region } from '../config.js';
import { EXIT_FAILED, GlobeError } from '../errors.js';
import { commitOf, git, shippedChangesSince } from '../git.js';
import type { Kubectl } from '../kubectl.js';
import { ToolFailed } from '../tool.js';
import { type PinnedOverlay, pinnedOverlay, pinningKustomization } from '../manifests.js';
import { isRecord, record } from '../objects.js';
import { forEachRegion, formatOutcomes, type Outcome, reporter, type RegionRunOptions } from '../regions.js';
import { type CredentialSource, resolveDigest } from '../registry.js';
import { parseReleaseComponent, type Release, releaseImages } from '../release.js';
import type { Traffic } from '../traffic.js';
import { type BakeOptions, bakeRegion } from './bake.js';
import { getJson, readDrained } from './status.js';

export interface ApplyOptions extends RegionRunOptions {
  /** Per Deployment, as `kubectl rollout status --timeout` takes it. */
  timeout: string;
  dryRun: boolean;
}

export interface RolloutOptions extends ApplyOptions {
  /** Roll out the images this tag names (resolved to digests) instead of the pinned release. */
  tag: string | undefined;
  /** The registry the images were pushed to (IMAGE_REGISTRY / ACR_NAME): where a tag is resolved. */
  registry: string | undefined;
  /** The registry's login, asked only when it wants one. */
  credentials: CredentialSource;
  /** Roll out a release older than the manifests (or of unknown age) anyway. */
  allowStale: boolean;
  /**
   * Watch each region this long after it is ready, and roll it back when it fails; none when undefined.
   * A drained region is not baked: it was taken out of rotation on purpose, often because it is unhealthy.
   */
  bake: BakeOptions | undefined;
}

/**
 * Rolls out one release to every selected region: the release pinned in the release component (what
 * `kubectl apply -k` deploys too), or the images a tag names, resolved to digests first. Refuses a
 * release older than the manifests it would ship with. All overlays are rendered before anything is
 * applied, so a broken overlay changes no region. Returns the exit code: 0 when every region is ready
 * (and baked, unless `traffic` says it is drained).
 */
export async function rollout(
  config: GlobeConfig,
  kubectl: Kubectl,
  traffic: Traffic,
  options: RolloutOptions,
  say: (line: string) => void,
): Promise<number> {
  const release =
    options.tag === undefined ? pinnedRelease(config) : await taggedRelease(config, { ...options, tag: options.tag });
  if (!options.allowStale) requireFresh(config, release);
  const overlays = await renderReleased(config, config.overlaysDir, kubectl, release);
  if (options.allowStale) say(`--allow-stale: not checking that release ${release.version} is as new as the manifests`);
  const outcomes = await forEachRegion(config.regions, options, async (region) => {
    const overlay = overlays.get(region.name) as PinnedOverlay;
    const report = reporter(region.name, say);
    const before = options.dryRun ? [] : await liveObjects(region, overlay, kubectl);
    await applyAndWait(config, region, overlay, kubectl, options, say);
    if (options.bake === undefined || options.dryRun) return;
    // Read when the region is due, so a drain during a long rollout counts; unknown is baked, as status asks it.
    const drained = await readDrained(traffic);
    if (!Array.isArray(drained))
      report(`traffic unknown (${traffic.name}: ${drained.error}): baking it as in rotation`);
    else if (drained.includes(region.name)) {
      report(`drained (${traffic.name}): not baked, no visitor is sent to it`);
      return 'applied, every Deployment ready, not baked: drained';
    }
    const problem = await bakeRegion(config, region, kubectl, options.bake, report);
    if (problem === undefined) return;
    report(`bake failed: ${problem}`);
    throw new GlobeError(
      `bake failed: ${problem}; ${await restore(config, region, before, kubectl, options, say)}`,
      EXIT_FAILED,
    );
  });
  if (options.dryRun) {
    say('dry run: nothing was applied');
    return 0;
  }
  const done =
    options.bake === undefined ? 'applied, every Deployment ready' : 'applied, every Deployment ready, baked';
  say(`rollout of ${release.version}:`);
  say(formatOutcomes(outcomes, done));
  say(await nowRunning(config, kubectl));
  return exitCode(outcomes);
}

export function exitCode(outcomes: Outcome[]): number {
  return outcomes.every((outcome) => outcome.state === 'done') ? 0 : EXIT_FAILED;
}

/** The release pinned in the release component; an error when it pins none (the placeholder). */
function pinnedRelease(config: GlobeConfig): Release {
  const file = path.join(config.releaseDir, 'kustomization.yaml');
  if (!existsSync(file)) throw new GlobeError(`no release component: ${file} does not exist`);
  const release = parseReleaseComponent(readFileSync(file, 'utf8'), file);
  if (release === null) {
    throw new GlobeError(`${file} pins no release: make one with globe release, or roll out --tag <tag>`);
  }
  return release;
}

/** The images `tag` names in the registry, by digest: what the clusters pull, whatever the tag names later. */
async function taggedRelease(
  config: GlobeConfig,
  { tag, registry, credentials }: { tag: string; registry: string | undefined; credentials: CredentialSource },
): Promise<Release> {
  if (registry === undefined) {
    throw new GlobeError(`--tag needs the registry that resolves it: set IMAGE_REGISTRY or ACR_NAME`);
  }
  const digests: Partial<Record<App, string>> = {};
  for (const app of APPS) digests[app] = await resolveDigest(imageRepository(registry, app), tag, credentials);
  const root = git(config.overlaysDir, ['rev-parse', '--show-toplevel']);
  return {
    commit: (root === undefined ? undefined : commitOf(root, tag)) ?? tag,
    version: tag,
    created: new Date().toISOString(),
    images: releaseImages(registry, digests as Record<App, string>),
  };
}

/**
 * Refuses a release built from a commit whose images or manifests differ from the ones it would be
 * shipped with (SHIPPED_PATHS in the checkout holding the overlays): old images under new manifests.
 */
function requireFresh(config: GlobeConfig, release: Release): void {
  const unknownAge = (why: string) =>
    new GlobeError(
      `cannot tell whether release ${release.version} is as new as the manifests: ${why} (--allow-stale to roll it out anyway)`,
    );
  const root = git(config.overlaysDir, ['rev-parse', '--show-toplevel']);
  if (root === undefined) throw unknownAge(`${config.overlaysDir} is not in a git checkout`);
  const commit = commitOf(root, release.commit);
  if (commit === undefined) throw unknownAge(`${release.commit} names no commit of this checkout`);
  const changed = shippedChangesSince(root, commit, config.releaseDir);
  if (changed.length > 0) {
    const shown = changed.slice(0, 3).join(', ') + (changed.length > 3 ? `, and ${changed.length - 3} more` : '');
    throw new GlobeError(
      `release ${release.version} is older than the code it would ship (changed since: ${shown}); ` +
        'make a new one with globe release, or --allow-stale',
    );
  }
}

/**
 * Every selected region's overlay under `overlaysDir`, rendered with the release pinned: each overlay
 * through a small kustomization that lists it as its resource and sets the release with kustomize's
 * own fields. Checked to carry the release's images before anything is applied.
 */
export async function renderReleased(
  config: GlobeConfig,
  overlaysDir: string,
  kubectl: Kubectl,
  release: Release,
): Promise<Map<string, PinnedOverlay>> {
  const overlays = new Map<string, PinnedOverlay>();
  const pinRoot = mkdtempSync(path.join(tmpdir(), 'globe-rollout-'));
  const pin = { imageName: config.imageName, release };
  try {
    for (const region of config.regions) {
      const dir = path.join(overlaysDir, region.name);
      if (!existsSync(dir)) throw new GlobeError(`no overlay for region ${region.name}: ${dir} does not exist`);
      const rendered = await kubectl.run(['kustomize', dir], { readOnly: true });
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
  return overlays;
}

export async function applyAndWait(
  config: GlobeConfig,
  region: Region,
  overlay: PinnedOverlay,
  kubectl: Kubectl,
  options: ApplyOptions,
  say: (line: string) => void,
): Promise<void> {
  const report = reporter(region.name, say);
  report(`applying overlay ${region.name} with ${overlay.images.join(', ')}`);
  report(
    await kubectl.run(['--context', region.context, 'apply', '-f', '-'], {
      stdin: overlay.manifest,
      stdinNote: `overlay ${region.name} with ${overlay.images.join(', ')}`,
    }),
  );
  await waitFor(config, region, overlay.deployments, kubectl, options.timeout, report);
}

async function waitFor(
  config: GlobeConfig,
  region: Region,
  deployments: { name: string; namespace: string | undefined }[],
  kubectl: Kubectl,
  timeout: string,
  report: (output: string) => void,
): Promise<void> {
  for (const deployment of deployments) {
    report(
      await kubectl.run([
        '--context',
        region.context,
        '--namespace',
        deployment.namespace ?? config.namespace,
        'rollout',
        'status',
        `deployment/${deployment.name}`,
        `--timeout=${timeout}`,
      ]),
    );
  }
}

/** Metadata the API server owns: dropped from a recorded object before it is applied again. */
const SERVER_FIELDS = ['resourceVersion', 'uid', 'creationTimestamp', 'generation', 'managedFields', 'selfLink'];
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * What the region runs now of the objects `overlay` holds, as they can be applied again: recorded
 * before an apply, so a failed bake can put them back.
 */
async function liveObjects(
  region: Region,
  overlay: PinnedOverlay,
  kubectl: Kubectl,
): Promise<Record<string, unknown>[]> {
  const json = await kubectl.run(
    ['--context', region.context, 'get', '-f', '-', '--ignore-not-found', '--output=json'],
    { stdin: overlay.manifest, readOnly: true },
  );
  if (json.trim() === '') return [];
  const list = record(JSON.parse(json));
  const items = Array.isArray(list.items) ? list.items.filter(isRecord) : [list];
  return items.map((item) => {
    const { status: _status, ...object } = item;
    const metadata = { ...record(object.metadata) };
    for (const field of SERVER_FIELDS) delete metadata[field];
    const annotations = { ...record(metadata.annotations) };
    delete annotations[LAST_APPLIED];
    return { ...object, metadata: { ...metadata, annotations } };
  });
}

/** Applies the recorded objects again and waits for their Deployments; says what the region runs then. */
async function restore(
  config: GlobeConfig,
  region: Region,
  before: Record<string, unknown>[],
  kubectl: Kubectl,
  options: ApplyOptions,
  say: (line: string) => void,
): Promise<string> {
  const report = reporter(region.name, say);
  const deployments = before.filter((object) => object.kind === 'Deployment');
  if (deployments.length === 0) return 'nothing ran there before, so it was left as it is';
  const version = versionOf(readDeployments(JSON.stringify({ items: deployments })));
  report(`rolling back to ${version}`);
  report(
    await kubectl.run(['--context', region.context, 'apply', '-f', '-'], {
      stdin: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: before }),
      stdinNote: `what ${region.name} ran before`,
    }),
  );
  const names = deployments.map((object) => {
    const metadata = record(object.metadata);
    return {
      name: String(metadata.name),
      namespace: typeof metadata.namespace === 'string' ? metadata.namespace : undefined,
    };
  });
  await waitFor(config, region, names, kubectl, options.timeout, report);
  return `rolled back to ${version}`;
}

function versionOf(deployments: { version: string }[]): string {
  return [...new Set(deployments.map((deployment) => deployment.version))].join(' + ') || '-';
}

/** One line per region: the release each one runs now, read back from the clusters. */
export async function nowRunning(config: GlobeConfig, kubectl: Kubectl): Promise<string> {
  const width = Math.max(...config.regions.map((region) => region.name.length));
  const lines = await Promise.all(
    config.regions.map(async (region) => {
      let text: string;
      try {
        const deployments = readDeployments(await getJson(config, region, kubectl, 'deployments'));
        const ready = deployments.map(
          (deployment) => `${deployment.name} ${deployment.ready}/${deployment.desired} ready`,
        );
        text = deployments.length === 0 ? 'nothing' : `${versionOf(deployments)} (${ready.join(', ')})`;
      } catch (error) {
        if (!(error instanceof ToolFailed)) throw error;
        text = `unknown: ${error.reason}`;
      }
      return `  ${region.name.padEnd(width)}  ${text}`;
    }),
  );
  return ['now running:', ...lines].join('\n');
}
