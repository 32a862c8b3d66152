import { ago } from '@kubeonazure/relative-time';
import { renderTable } from '@kubeonazure/tool-kit';
import { Agent, fetch } from 'undici';
import {
  frontendAddress,
  readDeployments,
  readHealthz,
  type DeploymentState,
  type HealthzReading,
} from '../cluster-state.js';
import type { GlobeConfig, Region } from '../config.js';
import { EXIT_FAILED, GlobeError } from '../errors.js';
import type { Kubectl } from '../kubectl.js';
import { ToolFailed } from '../tool.js';
import type { Traffic } from '../traffic.js';

/** How long one region's /healthz may take before it counts as not answering. */
const HEALTHZ_TIMEOUT_MS = 5_000;
/**
 * How /healthz is asked: the frontends answer it over HTTPS on 443 (every overlay lists components/tls;
 * plain HTTP only redirects) with a certificate for the custom domain, not for the region's name that
 * is asked here. So the chain is verified and the name is not, as Traffic Manager's probe asks the same
 * name; a connection per request, so nothing keeps the command running.
 */
const frontends = new Agent({ connect: { checkServerIdentity: () => undefined }, pipelining: 0 });
/** Bounds each kubectl read, so one unreachable cluster cannot hang the whole table. */
const REQUEST_TIMEOUT = '--request-timeout=10s';

export interface RegionStatus {
  region: string;
  role: 'write' | 'read';
  context: string;
  reachable: boolean;
  /** kubectl's error when the cluster could not be read. */
  error?: string;
  deployments: DeploymentState[];
  /** The frontend's public name: `<dns label>.<region>.cloudapp.azure.com`, or the LB address. */
  fqdn: string | null;
  healthz: HealthzReading | null;
  /** Whether visitors are sent to it (`drain`); null when Traffic Manager (or the simulation) could not be read. */
  traffic: 'in rotation' | 'drained' | null;
}

/** A region is healthy when its cluster answers, every Deployment is fully ready and /healthz says 200. */
export function isHealthy(status: RegionStatus): boolean {
  return (
    status.reachable &&
    status.deployments.length > 0 &&
    status.deployments.every((deployment) => deployment.ready >= deployment.desired) &&
    status.healthz?.ok === true
  );
}

/** What status counts: every region in rotation is healthy; a drained one (taken out on purpose) is not asked to be. */
export function allHealthy(regions: RegionStatus[]): boolean {
  return regions.every((region) => region.traffic === 'drained' || isHealthy(region));
}

/** Prints one table (or JSON) across the selected regions; exit code 0 when every region in rotation is healthy. */
export async function status(
  config: GlobeConfig,
  kubectl: Kubectl,
  traffic: Traffic,
  options: { json: boolean },
  say: (line: string) => void,
): Promise<number> {
  const [drained, ...found] = await Promise.all([
    readDrained(traffic),
    ...config.regions.map((region) => regionStatus(config, region, kubectl)),
  ]);
  const regions = found.map(
    (region): RegionStatus => ({
      ...region,
      traffic: Array.isArray(drained) ? (drained.includes(region.region) ? 'drained' : 'in rotation') : null,
    }),
  );
  const healthy = allHealthy(regions);
  const trafficError = Array.isArray(drained) ? undefined : `traffic: ${traffic.name}: ${drained.error}`;
  say(
    options.json
      ? JSON.stringify({ healthy, regions, ...(trafficError === undefined ? {} : { trafficError }) }, null, 2)
      : statusTable(regions, trafficError),
  );
  return healthy ? 0 : EXIT_FAILED;
}

/**
 * The drained regions, or why they could not be read (az missing or not logged in, no simulation): status
 * still shows the rest, and rollout bakes every region then.
 */
export async function readDrained(traffic: Traffic): Promise<string[] | { error: string }> {
  try {
    return await traffic.drainedRegions();
  } catch (error) {
    if (!(error instanceof GlobeError)) throw error;
    return { error: error instanceof ToolFailed ? error.reason : error.message };
  }
}

async function regionStatus(
  config: GlobeConfig,
  region: Region,
  kubectl: Kubectl,
): Promise<Omit<RegionStatus, 'traffic'>> {
  const base = { region: region.name, role: region.role, context: region.context };
  let deployments: DeploymentState[];
  try {
    deployments = readDeployments(await getJson(config, region, kubectl, 'deployments'));
  } catch (error) {
    if (!(error instanceof ToolFailed)) throw error;
    return { ...base, reachable: false, error: error.reason, deployments: [], fqdn: null, healthz: null };
  }
  const { fqdn, url } = await healthzUrlOf(config, region, kubectl);
  return { ...base, reachable: true, deployments, fqdn, healthz: url === null ? null : await askHealthz(url) };
}

/** `kubectl get <what> -o json` in a region's namespace, bounded in time; a read, so it runs in dry runs too. */
export function getJson(config: GlobeConfig, region: Region, kubectl: Kubectl, ...what: string[]): Promise<string> {
  return kubectl.run(
    ['--context', region.context, '--namespace', config.namespace, 'get', ...what, '--output=json', REQUEST_TIMEOUT],
    { readOnly: true },
  );
}

/**
 * The frontend's public name and where its /healthz is asked: the `--healthz-url` override, else
 * `https://<fqdn>/healthz`; null while the Service has no public name.
 */
export async function healthzUrlOf(
  config: GlobeConfig,
  region: Region,
  kubectl: Kubectl,
): Promise<{ fqdn: string | null; url: string | null }> {
  const fqdn = await getJson(config, region, kubectl, 'service', config.frontendService).then(
    (json) => frontendAddress(json, region.name),
    (error: unknown) => {
      if (error instanceof ToolFailed) return null;
      throw error;
    },
  );
  return { fqdn, url: region.healthzUrl ?? (fqdn === null ? null : `https://${fqdn}/healthz`) };
}

/** GET a /healthz (5 s limit); no answer is a reading too. */
export async function askHealthz(url: string): Promise<HealthzReading> {
  try {
    const response = await fetch(url, {
      signal: AbortSignal.timeout(HEALTHZ_TIMEOUT_MS),
      redirect: 'manual',
      dispatcher: frontends,
    });
    return readHealthz(url, response.status, await response.text());
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    return { url, status: null, ok: false, newestTweetAgeSeconds: null, error: cause };
  }
}

/** The human table: one row per region, one column per Deployment name seen anywhere, then notes. */
export function statusTable(regions: RegionStatus[], trafficError?: string): string {
  const names = [
    ...new Set(regions.flatMap((region) => region.deployments.map((deployment) => deployment.name))),
  ].sort();
  const rows = regions.map((region) => [
    region.role === 'write' ? `${region.region} (write)` : region.region,
    region.context,
    region.reachable ? 'yes' : 'no',
    ...names.map((name) => {
      const deployment = region.deployments.find((candidate) => candidate.name === name);
      return deployment === undefined ? '-' : `${deployment.ready}/${deployment.desired} ${deployment.version}`;
    }),
    region.fqdn ?? '-',
    region.healthz === null ? '-' : region.healthz.status === null ? 'no answer' : String(region.healthz.status),
    newestTweet(region.healthz),
    region.traffic ?? '?',
  ]);
  const headers = [
    'REGION',
    'CONTEXT',
    'REACHABLE',
    ...names.map((name) => name.toUpperCase()),
    'FQDN',
    'HEALTHZ',
    'NEWEST TWEET',
    'TRAFFIC',
  ];
  const notes = regions.flatMap((region) => {
    const problem = region.error ?? region.healthz?.error;
    return problem === undefined ? [] : [`${region.region}: ${problem}`];
  });
  if (trafficError !== undefined) notes.push(trafficError);
  return [renderTable(headers, rows), ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
}

function newestTweet(healthz: HealthzReading | null): string {
  if (healthz?.ok !== true) return '-';
  return healthz.newestTweetAgeSeconds === null ? 'none' : ago(healthz.newestTweetAgeSeconds, 'narrow');
}
