import { type App, APPS } from '@kubeonazure/image-refs';
import { parseAllDocuments, stringify } from 'yaml';
import { GlobeError } from './errors.js';
import { isRecord, record } from './objects.js';
import { COMMIT_ANNOTATION, CREATED_ANNOTATION, type Release, splitDigestRef, VERSION_LABEL } from './release.js';

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
  /** Every image reference the rollout set, e.g. `myacr.azurecr.io/kubeonazure/frontend@sha256:…`. */
  images: string[];
}

/** What a rollout pins: a release's images (by digest), version and record; `imageName` finds the app images. */
export interface ImagePin {
  /** The path under the registry that holds one repository per app, e.g. `kubeonazure`. */
  imageName: string;
  release: Release;
}

/**
 * A kustomization that renders the overlay at `overlay` (relative to where the kustomization is
 * written) with every app image of `rendered` (that overlay, rendered once) replaced by the release's
 * image by digest, and the release's version label and record on every object, through kustomize's own
 * `images`, `labels` and `commonAnnotations`: no rendered YAML is rewritten.
 */
export function pinningKustomization(overlay: string, rendered: string, pin: ImagePin): string {
  const repositories = new Map<string, App>();
  for (const object of parseManifest(rendered)) {
    for (const container of podContainers(object)) {
      if (typeof container.image !== 'string') continue;
      const { repository } = splitImage(container.image);
      const app = appOf(repository, pin.imageName);
      if (app !== undefined) repositories.set(repository, app);
    }
  }
  if (repositories.size === 0) {
    throw new GlobeError(`rendered overlay has no container image named <registry>/${pin.imageName}/<app>`);
  }
  const images = [...repositories].map(([name, app]) => {
    const { repository, digest } = splitDigestRef(pin.release.images[app], app);
    return { name, newName: repository, digest };
  });
  return stringify({
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: [overlay],
    images,
    labels: [{ pairs: { [VERSION_LABEL]: pin.release.version }, includeTemplates: true }],
    commonAnnotations: { [COMMIT_ANNOTATION]: pin.release.commit, [CREATED_ANNOTATION]: pin.release.created },
  });
}

/** The Deployments and app images of a pinned overlay, rendered from `pinningKustomization`. */
export function pinnedOverlay(manifest: string, pin: ImagePin): PinnedOverlay {
  const images: string[] = [];
  const deployments: Workload[] = [];
  for (const object of parseManifest(manifest)) {
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
      const app = appOf(splitImage(container.image).repository, pin.imageName);
      if (app === undefined) continue;
      if (container.image !== pin.release.images[app]) {
        throw new GlobeError(`image ${container.image} was not pinned to ${pin.release.images[app]}`);
      }
      images.push(container.image);
    }
  }
  return { manifest, deployments, images: [...new Set(images)] };
}

/** The app whose repository `<registry>/<imageName>/<app>` is, or undefined for any other image (sidecars). */
function appOf(repository: string, imageName: string): App | undefined {
  const parts = repository.split('/');
  return parts.at(-2) === imageName ? APPS.find((candidate) => candidate === parts.at(-1)) : undefined;
}

export function parseManifest(rendered: string): Record<string, unknown>[] {
  return parseAllDocuments(rendered).flatMap((document) => {
    const problem = document.errors[0];
    if (problem !== undefined)
      throw new GlobeError(`rendered overlay is not valid YAML: ${problem.message.split('\n')[0]}`);
    const object = document.toJS() as unknown;
    return isRecord(object) ? [object] : [];
  });
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
export function podContainers(object: Record<string, unknown>): Record<string, unknown>[] {
  const podSpec = record(record(record(object.spec).template).spec);
  return [podSpec.containers, podSpec.initContainers].flatMap((list) =>
    Array.isArray(list) ? list.filter(isRecord) : [],
  );
}
