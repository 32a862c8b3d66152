import { GlobeError } from './errors.js';

/**
 * Every manifest type a tag may name: the registry picks one it has and answers its digest. An
 * Accept without the index types would make some registries convert (and re-digest) a multi-platform
 * image, or answer 404 for it.
 */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

const DIGEST = /^sha256:[0-9a-f]{64}$/;
/** How long one registry request may take. */
const REQUEST_TIMEOUT_MS = 15_000;

/** `<registry>/<path>` split at the first slash: the host (with port) and the repository path. */
export function registryAndPath(repository: string): { registry: string; path: string } {
  const slash = repository.indexOf('/');
  if (slash <= 0) throw new GlobeError(`image repository ${repository} names no registry`);
  return { registry: repository.slice(0, slash), path: repository.slice(slash + 1) };
}

/** Plain HTTP for a registry on this machine (the local one), HTTPS for every other. */
export function registryBaseUrl(registry: string): string {
  const host = registry.replace(/:\d+$/, '');
  const local = host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
  return `${local ? 'http' : 'https'}://${registry}/v2/`;
}

/**
 * The digest the registry holds for `<repository>:<reference>` (a tag or a digest), from the
 * `Docker-Content-Digest` header of a HEAD of the manifest (registry HTTP API v2). A tag is mutable; the
 * digest is what the cluster then pulls, whatever the tag names later.
 */
export async function resolveDigest(repository: string, reference: string): Promise<string> {
  const { registry, path } = registryAndPath(repository);
  const url = `${registryBaseUrl(registry)}${path}/manifests/${reference}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'HEAD',
      headers: { accept: MANIFEST_ACCEPT },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw new GlobeError(`registry ${registry} did not answer for ${repository}:${reference}: ${cause}`);
  }
  if (response.status === 404) throw new GlobeError(`${repository}:${reference} is not in the registry`);
  if (response.status === 401 || response.status === 403) {
    throw new GlobeError(`registry ${registry} refused to show ${repository}:${reference} (HTTP ${response.status})`);
  }
  if (!response.ok) {
    throw new GlobeError(`registry ${registry} answered HTTP ${response.status} for ${repository}:${reference}`);
  }
  const digest = response.headers.get('docker-content-digest') ?? '';
  if (!DIGEST.test(digest)) {
    throw new GlobeError(`registry ${registry} gave no sha256 digest for ${repository}:${reference}`);
  }
  if (reference.startsWith('sha256:') && digest !== reference) {
    throw new GlobeError(`registry ${registry} answered ${digest} for ${repository}@${reference}`);
  }
  return digest;
}
