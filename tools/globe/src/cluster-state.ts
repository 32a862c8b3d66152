import { splitImage } from './manifests.js';
import { record } from './objects.js';
import { VERSION_LABEL } from './release.js';

/** The annotation that gives an Azure LoadBalancer Service the FQDN `<label>.<region>.cloudapp.azure.com`. */
export const DNS_LABEL_ANNOTATION = 'service.beta.kubernetes.io/azure-dns-label-name';

export interface DeploymentState {
  name: string;
  ready: number;
  desired: number;
  /** The release it runs: its version label, e.g. `1a2b3c4`, else its images' tags; `-` when neither says. */
  version: string;
  /** Each container's image, e.g. `myacr.azurecr.io/kubeonazure/frontend@sha256:…`. */
  images: string[];
}

export interface HealthzReading {
  url: string;
  /** The HTTP status, or null when no response arrived. */
  status: number | null;
  ok: boolean;
  newestTweetAgeSeconds: number | null;
  /** Why there is no usable answer (connection error, non-JSON body); absent when ok. */
  error?: string;
}

/** Reads `kubectl get deployments -o json` (a List). */
export function readDeployments(json: string): DeploymentState[] {
  return items(json).map((item) => {
    const spec = record(item.spec);
    const status = record(item.status);
    const metadata = record(item.metadata);
    const containers = record(record(spec.template).spec).containers;
    const images = (Array.isArray(containers) ? containers : [])
      .map((container) => record(container).image)
      .filter((image): image is string => typeof image === 'string');
    const label = record(metadata.labels)[VERSION_LABEL];
    const tags = [...new Set(images.flatMap((image) => splitImage(image).tag ?? []))];
    return {
      name: String(metadata.name ?? '?'),
      ready: numberOr(status.readyReplicas, 0),
      desired: numberOr(spec.replicas, 1),
      version: typeof label === 'string' ? label : tags.length > 0 ? tags.join(',') : '-',
      images,
    };
  });
}

/**
 * The public name of a region's frontend from `kubectl get service -o json`: the Azure DNS label
 * FQDN when the annotation is set, else what the load balancer reports; null while none is known.
 */
export function frontendAddress(json: string, region: string): string | null {
  const service = record(JSON.parse(json));
  const label = record(record(service.metadata).annotations)[DNS_LABEL_ANNOTATION];
  if (typeof label === 'string' && label !== '') return `${label}.${region}.cloudapp.azure.com`;
  const ingress = record(record(service.status).loadBalancer).ingress;
  const first = Array.isArray(ingress) ? record(ingress[0]) : {};
  const address = first.hostname ?? first.ip;
  return typeof address === 'string' ? address : null;
}

/** Reads a frontend's /healthz answer (contract: 200 `{status:"ok"|"throttled", newestTweetAgeSeconds}` or 503). */
export function readHealthz(url: string, status: number, body: string): HealthzReading {
  let parsed: Record<string, unknown>;
  try {
    parsed = record(JSON.parse(body));
  } catch {
    return { url, status, ok: false, newestTweetAgeSeconds: null, error: `HTTP ${status}, body is not JSON` };
  }
  const age = parsed.newestTweetAgeSeconds;
  const reading: HealthzReading = {
    url,
    status,
    ok: status === 200,
    newestTweetAgeSeconds: typeof age === 'number' && Number.isFinite(age) ? age : null,
  };
  return reading.ok || typeof parsed.reason !== 'string' ? reading : { ...reading, error: parsed.reason };
}

/** The streamers' gauge: 1 while this streamer holds the ingest lease (apps/streamer, ops/metrics.ts). */
const LEASE_HELD = /^streamer_ingest_lease_held(\{[^}]*\})?\s+(\S+)/;

/** Whether a streamer's /metrics (Prometheus text) says it holds the ingest lease. */
export function isLeaseHolder(metrics: string): boolean {
  return metrics.split('\n').some((line) => Number(LEASE_HELD.exec(line)?.[2]) === 1);
}

function items(json: string): Record<string, unknown>[] {
  const list = record(JSON.parse(json)).items;
  return Array.isArray(list) ? list.map(record) : [];
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' ? value : fallback;
}
