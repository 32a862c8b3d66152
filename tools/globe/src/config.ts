import path from 'node:path';
import { REGIONS } from '@kubeonazure/regions';
import { z } from 'zod';
import { GlobeError } from './errors.js';
import { registryFromEnv as imageRegistryFromEnv, RegistryError } from '@kubeonazure/image-refs';

/**
 * The file format (tools/globe/globe.config.json). Paths in it are relative to the file. The
 * regions are not in it: they are the one list in @kubeonazure/regions.
 */
const configFileSchema = z.strictObject({
  namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
  overlays: z.string().min(1),
  release: z.string().min(1),
  imageName: z.string().min(1),
  frontendService: z.string().min(1),
  contextPrefix: z.string().min(1),
  contexts: z.record(z.string(), z.string().min(1)).default({}),
  /** The Traffic Manager profile `deploy/azure/create-backing-services.sh` makes: one external endpoint per region, named after it. */
  trafficManager: z
    .strictObject({ profile: z.string().min(1), resourceGroup: z.string().min(1) })
    .default({ profile: 'kubeonazure', resourceGroup: 'kubeonazure-backing' }),
});
export type ConfigFile = z.infer<typeof configFileSchema>;

/** What the command line can override; `contexts` and `healthzUrls` are `region=value` pairs. */
export interface ConfigOverrides {
  regions?: string | undefined;
  contextPrefix?: string | undefined;
  contexts?: string[] | undefined;
  healthzUrls?: string[] | undefined;
  streamerUrls?: string[] | undefined;
}

export interface Region {
  name: string;
  context: string;
  /** The write region (the list's `write`, where the Cosmos DB write region starts) is rolled out first: its streamer normally holds the ingest lease. */
  role: 'write' | 'read';
  /** Where to ask for /healthz instead of the frontend Service's FQDN (tests, port-forwards). */
  healthzUrl?: string;
  /** The streamers' ops ports (`/metrics`, `/readyz`) instead of reaching each pod through the API server. */
  streamerUrls?: string[];
}

export interface GlobeConfig {
  namespace: string;
  /** Absolute path of the folder holding one kustomize overlay per region. */
  overlaysDir: string;
  /** Absolute path of the release component the overlays include (`globe release` writes it). */
  releaseDir: string;
  /** The image repository name (without registry) whose tags a rollout sets, e.g. `kubeonazure`. */
  imageName: string;
  /** The LoadBalancer Service whose DNS label gives a region's public FQDN. */
  frontendService: string;
  /** The selected regions, the write region first, the others in configured order. */
  regions: Region[];
  /** Where `drain` takes a region out of rotation in Azure. */
  trafficManager: { profile: string; resourceGroup: string };
}

/** Validates the parsed config file; `source` names it in the error. */
export function parseConfigFile(json: unknown, source: string): ConfigFile {
  const result = configFileSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
    throw new GlobeError(`invalid config ${source}: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

/** Applies the command-line overrides to the config file; `configDir` anchors relative paths. */
export function resolveConfig(file: ConfigFile, overrides: ConfigOverrides, configDir: string): GlobeConfig {
  // The write region comes first in REGIONS.
  const known = REGIONS.map((region) => region.name);
  const selected = overrides.regions === undefined ? known : splitList(overrides.regions);
  for (const name of selected) requireKnownRegion(name, known);

  for (const name of Object.keys(file.contexts)) requireKnownRegion(name, known);
  const contexts = { ...file.contexts, ...pairs('--context', overrides.contexts ?? [], known) };
  const healthzUrls = pairs('--healthz-url', overrides.healthzUrls ?? [], known);
  for (const [name, url] of Object.entries(healthzUrls)) requireHttpUrl('--healthz-url', name, url);
  const streamerUrls: Record<string, string[]> = {};
  for (const value of overrides.streamerUrls ?? []) {
    const [name, url] = Object.entries(pairs('--streamer-url', [value], known))[0] as [string, string];
    requireHttpUrl('--streamer-url', name, url);
    streamerUrls[name] = [...(streamerUrls[name] ?? []), url];
  }

  const prefix = overrides.contextPrefix ?? file.contextPrefix;
  const regions = REGIONS.filter((region) => selected.includes(region.name)).map(({ name, role }): Region => {
    const healthzUrl = healthzUrls[name];
    const streamers = streamerUrls[name];
    return {
      name,
      context: contexts[name] ?? `${prefix}-${name}`,
      role,
      ...(healthzUrl === undefined ? {} : { healthzUrl }),
      ...(streamers === undefined ? {} : { streamerUrls: streamers }),
    };
  });
  return {
    namespace: file.namespace,
    overlaysDir: path.resolve(configDir, file.overlays),
    releaseDir: path.resolve(configDir, file.release),
    imageName: file.imageName,
    frontendService: file.frontendService,
    regions,
    trafficManager: file.trafficManager,
  };
}

function splitList(list: string): string[] {
  const names = list
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0) throw new GlobeError('--regions needs at least one region');
  return [...new Set(names)];
}

function requireKnownRegion(name: string, known: string[]): void {
  if (!known.includes(name)) {
    throw new GlobeError(`unknown region ${name} (configured: ${known.join(', ')})`);
  }
}

/** Parses repeated `region=value` flags into a map, rejecting unknown regions. */
function pairs(flag: string, values: string[], known: string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    const name = value.slice(0, eq);
    const setting = value.slice(eq + 1);
    if (eq <= 0 || setting === '') throw new GlobeError(`${flag} expects region=value, got ${value}`);
    requireKnownRegion(name, known);
    map[name] = setting;
  }
  return map;
}

function requireHttpUrl(flag: string, region: string, url: string): void {
  const parsed = URL.parse(url);
  if (parsed === null || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new GlobeError(`${flag} for ${region} is not an http(s) URL: ${url}`);
  }
}

/** The container registry from the environment, as the image targets read it: IMAGE_REGISTRY or `<ACR_NAME>.azurecr.io`. */
export function registryFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  try {
    return imageRegistryFromEnv(env)?.host;
  } catch (error) {
    if (error instanceof RegistryError) throw new GlobeError(error.message);
    throw error;
  }
}
