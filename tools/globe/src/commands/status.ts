import { ago } from '@kubeonazure/relative-time';
import { renderTable } from '@kubeonazure/tool-kit';
import {
  frontendAddress,
  readDeployments,
  readHealthz,
  type DeploymentState,
  type HealthzReading,
} from '../cluster-state.js';
import type { GlobeConfig, Region } from '../config.js';
import { EXIT_FAILED } from '../errors.js';
import { KubectlFailed, type Kubectl } from '../kubectl.js';

/** How long one region's /healthz may take before it counts as not answering. */
const HEALTHZ_TIMEOUT_MS = 5_000;
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

/** Prints one table (or JSON) across the selected regions; exit code 0 when every region is healthy. */
export async function status(
  config: GlobeConfig,
  kubectl: Kubectl,
  options: { json: boolean },
  say: (line: string) => void,
): Promise<number> {
  const regions = await Promise.all(config.regions.map((region) => regionStatus(config, region, kubectl)));
  const healthy = regions.every(isHealthy);
  say(options.json ? JSON.stringify({ healthy, regions }, null, 2) : statusTable(regions));
  return healthy ? 0 : EXIT_FAILED;
}

async function regionStatus(config: GlobeConfig, region: Region, kubectl: Kubectl): Promise<RegionStatus> {
  const base = { region: region.name, role: region.role, context: region.context };
  let deployments: DeploymentState[];
  try {
    deployments = readDeployments(await getJson(config, region, kubectl, 'deployments'));
  } catch (error) {
    if (!(error instanceof KubectlFailed)) throw error;
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
 * `http://<fqdn>/healthz`; null while the Service has no public name.
 */
export async function healthzUrlOf(
  config: GlobeConfig,
  region: Region,
  kubectl: Kubectl,
): Promise<{ fqdn: string | null; url: string | null }> {
  const fqdn = await getJson(config, region, kubectl, 'service', config.frontendService).then(
    (json) => frontendAddress(json, region.name),
    (error: unknown) => {
      if (error instanceof KubectlFailed) return null;
      throw error;
    },
  );
  return { fqdn, url: region.healthzUrl ?? (fqdn === null ? null : `http://${fqdn}/healthz`) };
}

/** GET a /healthz (5 s limit); no answer is a reading too. */
export async function askHealthz(url: string): Promise<HealthzReading> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(HEALTHZ_TIMEOUT_MS), redirect: 'manual' });
    return readHealthz(url, response.status, await response.text());
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    return { url, status: null, ok: false, newestTweetAgeSeconds: null, error: cause };
  }
}

/** The human table: one row per region, one column per Deployment name seen anywhere, then notes. */
export function statusTable(regions: RegionStatus[]): string {
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
  ]);
  const headers = [
    'REGION',
    'CONTEXT',
    'REACHABLE',
    ...names.map((name) => name.toUpperCase()),
    'FQDN',
    'HEALTHZ',
    'NEWEST TWEET',
  ];
  const notes = regions.flatMap((region) => {
    const problem = region.error ?? region.healthz?.error;
    return problem === undefined ? [] : [`${region.region}: ${problem}`];
  });
  return [renderTable(headers, rows), ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
}

function newestTweet(healthz: HealthzReading | null): string {
  if (healthz?.ok !== true) return '-';
  return healthz.newestTweetAgeSeconds === null ? 'none' : ago(healthz.newestTweetAgeSeconds, 'narrow');
}
