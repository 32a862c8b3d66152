import { APPS, imageRepository } from '@kubeonazure/image-refs';
import { parseAllDocuments, stringify } from 'yaml';
import { GlobeError } from './errors.js';
import { isRecord, record } from './objects.js';

export interface Workload {
  kind: string;
  name: string;
  namespace: string | undefined;
}

export interface PinnedOverlay {
  /** The manifest to feed to `kubectl apply -f -`. */
  manifest: string;
  /** The Deployments in it, in manifest order: what the rollout waits for. */
  deployments: Workload[];
  /** Every image reference the rollout set, e.g. `myacr.azurecr.io/kubeonazure/frontend:1a2b3c4`. */
  images: string[];
}

export interface ImagePin {
  /** The path under the registry that holds one repository per app, e.g. `kubeonazure`. */
  imageName: string;
  tag: string;
  /** Replaces the overlay's registry, e.g. `myacr.azurecr.io`; the overlay's is kept when absent. */
  registry?: string | undefined;
}

/**
 * Sets the tag of every `<registry>/<imageName>/<app>` container image in a rendered overlay to
 * `tag` (the immutable `<git short sha>` that docker-push pushes). Each app has its own repository,
 * so the tag is the same for all of them; the overlays in git stay untouched.
 */
export function pinImageTags(rendered: string, pin: ImagePin): PinnedOverlay {
  const objects = parseAllDocuments(rendered).map((document) => {
    const problem = document.errors[0];
    if (problem !== undefined)
      throw new GlobeError(`rendered overlay is not valid YAML: ${problem.message.split('\n')[0]}`);
    return document.toJS() as unknown;
  });
  const images: string[] = [];
  const deployments: Workload[] = [];
  for (const object of objects) {
    if (!isRecord(object)) continue;
    const metadata = record(object.metadata);
    if (object.kind === 'Deployment' && typeof metadata.name === 'string') {
      deployments.push({
        kind: 'Deployment',
        name: metadata.name,
        namespace: typeof metadata.namespace === 'string' ? metadata.namespace : undefined,
      });
    }
    for (const container of podContainers(object)) {
      if (typeof container.image !== 'string') continue;
      const pinned = pinImage(container.image, pin);
      if (pinned === null) continue;
      container.image = pinned;
      images.push(pinned);
    }
  }
  if (images.length === 0)
    throw new GlobeError(`rendered overlay has no container image named <registry>/${pin.imageName}/<app>`);
  return {
    manifest: objects
      .filter((object) => object !== null)
      .map((object) => stringify(object))
      .join('---\n'),
    deployments,
    images: [...new Set(images)],
  };
}

/** `<registry>/<imageName>/<app>:<tag>` for an image of one of the apps, or null for any other image (sidecars). */
export function pinImage(image: string, { imageName, tag, registry }: ImagePin): string | null {
  const { repository } = splitImage(image);
  const parts = repository.split('/');
  const app = APPS.find((candidate) => candidate === parts.at(-1));
  if (app === undefined || parts.at(-2) !== imageName) return null;
  return `${registry === undefined ? repository : imageRepository(registry, app)}:${tag}`;
}

/** Splits `registry[:port]/path/name[:tag][@digest]`; a digest is dropped. */
export function splitImage(image: string): { repository: string; tag: string | undefined } {
  const withoutDigest = image.split('@')[0] ?? image;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  return colon === -1
    ? { repository: withoutDigest, tag: undefined }
    : { repository: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1) };
}

/** The containers and init containers of a workload's pod template. */
function podContainers(object: Record<string, unknown>): Record<string, unknown>[] {
  const podSpec = record(record(record(object.spec).template).spec);
  return [podSpec.containers, podSpec.initContainers].flatMap((list) =>
    Array.isArray(list) ? list.filter(isRecord) : [],
  );
}
