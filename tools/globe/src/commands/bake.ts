import { setTimeout as sleep } from 'node:timers/promises';
import { isLeaseHolder } from '../cluster-state.js';
import type { GlobeConfig, Region } from '../config.js';
import type { Kubectl } from '../kubectl.js';
import { ToolFailed } from '../tool.js';
import { record } from '../objects.js';
import { askHealthz, getJson, healthzUrlOf } from './status.js';

export interface BakeOptions {
  /** How long a region must stay healthy after it is ready. */
  seconds: number;
  /** The newest post a region's /healthz reports may be at most this old. */
  maxPostAgeSeconds: number;
  /** Time between two looks. */
  intervalMs: number;
}

/** The streamers' ops port name in the Deployment (the apps' `ops`). */
const OPS_PORT_NAME = 'ops';

/**
 * Watches one region for `options.seconds` after its rollout was ready, and returns why it is
 * unhealthy at the first look that finds a problem, or undefined when it stayed healthy throughout:
 * - its frontend's /healthz answers 200 with a newest post at most `maxPostAgeSeconds` old (what
 *   Traffic Manager and visitors see);
 * - the streamer that holds the ingest lease, if it runs in this region, is ready. Only the holder's
 *   readiness says anything about ingest: a standby streamer is always ready.
 */
export async function bakeRegion(
  config: GlobeConfig,
  region: Region,
  kubectl: Kubectl,
  options: BakeOptions,
  report: (line: string) => void,
): Promise<string | undefined> {
  const deadline = Date.now() + options.seconds * 1000;
  report(
    `baking for ${options.seconds} s: /healthz, newest post at most ${options.maxPostAgeSeconds} s old, lease holder ready`,
  );
  for (let look = 1; ; look += 1) {
    const problem = await lookAt(config, region, kubectl, options);
    if (problem !== undefined) return problem;
    if (Date.now() >= deadline) {
      report(`baked: healthy at each of ${look} looks`);
      return undefined;
    }
    await sleep(Math.min(options.intervalMs, Math.max(0, deadline - Date.now())));
  }
}

async function lookAt(
  config: GlobeConfig,
  region: Region,
  kubectl: Kubectl,
  options: BakeOptions,
): Promise<string | undefined> {
  const { url } = await healthzUrlOf(config, region, kubectl);
  if (url === null) return `the ${config.frontendService} Service has no public address to ask /healthz`;
  const healthz = await askHealthz(url);
  if (!healthz.ok) return `${url} answered ${healthz.status ?? 'nothing'}${healthz.error ? `: ${healthz.error}` : ''}`;
  const age = healthz.newestTweetAgeSeconds;
  if (age === null) return `${url} reports no post at all`;
  if (age > options.maxPostAgeSeconds)
    return `${url} reports its newest post ${age} s old (limit ${options.maxPostAgeSeconds} s)`;
  for (const streamer of await streamerEndpoints(config, region, kubectl)) {
    if (!isLeaseHolder((await streamer.get('/metrics')) ?? '')) continue;
    if ((await streamer.get('/readyz')) === null)
      return `the streamer holding the ingest lease (${streamer.name}) is not ready`;
  }
  return undefined;
}

interface StreamerEndpoint {
  name: string;
  /** The body of a GET on its ops port; null when it does not answer 200. */
  get(path: string): Promise<string | null>;
}

/**
 * The region's streamers' ops ports: the `--streamer-url` overrides, else each streamer pod through the
 * API server's pod proxy (no port-forward, no public port: the same credentials as every kubectl call).
 */
async function streamerEndpoints(config: GlobeConfig, region: Region, kubectl: Kubectl): Promise<StreamerEndpoint[]> {
  if (region.streamerUrls !== undefined) {
    return region.streamerUrls.map((base) => {
      const get = async (path: string): Promise<string | null> => {
        try {
          const response = await fetch(new URL(path, base), { signal: AbortSignal.timeout(5_000) });
          return response.ok ? await response.text() : null;
        } catch {
          return null;
        }
      };
      return { name: base, get };
    });
  }
  const pods = record(
    JSON.parse(await getJson(config, region, kubectl, 'pods', '-l', 'app.kubernetes.io/name=streamer')),
  );
  return (Array.isArray(pods.items) ? pods.items : []).flatMap((item) => {
    const name = record(record(item).metadata).name;
    const containers = record(record(item).spec).containers;
    const port = (Array.isArray(containers) ? containers : [])
      .flatMap((container) => {
        const ports = record(container).ports;
        return Array.isArray(ports) ? ports.map(record) : [];
      })
      .find((candidate) => candidate.name === OPS_PORT_NAME)?.containerPort;
    if (typeof name !== 'string' || typeof port !== 'number') return [];
    const get = async (path: string): Promise<string | null> => {
      try {
        return await kubectl.run(
          [
            '--context',
            region.context,
            'get',
            '--raw',
            `/api/v1/namespaces/${config.namespace}/pods/${name}:${port}/proxy${path}`,
            '--request-timeout=10s',
          ],
          { readOnly: true },
        );
      } catch (error) {
        if (error instanceof ToolFailed) return null;
        throw error;
      }
    };
    return [{ name, get }];
  });
}
