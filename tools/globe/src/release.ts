import { type App, APPS, imageRepository } from '@kubeonazure/image-refs';
import { parse } from 'yaml';
import { GlobeError } from './errors.js';
import { isRecord, record } from './objects.js';

/** The recommended label that names the release, on every object and pod template. */
export const VERSION_LABEL = 'app.kubernetes.io/version';
/** The release record, on every object: the commit both images were built from, and when. */
export const COMMIT_ANNOTATION = 'release.kubeonazure.io/commit';
export const CREATED_ANNOTATION = 'release.kubeonazure.io/created';

/** One release: both images by digest, and the commit of the manifests they were built with. */
export interface Release {
  /** The full commit the images were built from. */
  commit: string;
  /** Its short form: the version label and the images' tag. */
  version: string;
  /** When the release was made (ISO 8601). */
  created: string;
  /** Each app's image, `<registry>/kubeonazure/<app>@sha256:<digest>`. */
  images: Record<App, string>;
}

const DIGEST_REF = /^(?<repository>[^@\s]+)@(?<digest>sha256:[0-9a-f]{64})$/;
/** A label value the API server accepts (and the short commit always is). */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** `<repository>@<digest>` split, or a GlobeError naming `what`. */
export function splitDigestRef(image: string, what: string): { repository: string; digest: string } {
  const match = DIGEST_REF.exec(image);
  if (match?.groups === undefined) throw new GlobeError(`${what}: ${image} is not <repository>@sha256:<digest>`);
  return { repository: match.groups.repository as string, digest: match.groups.digest as string };
}

/** The images of a release: `<registry>/kubeonazure/<app>@<digest>` for every app. */
export function releaseImages(registry: string, digests: Record<App, string>): Record<App, string> {
  return Object.fromEntries(APPS.map((app) => [app, `${imageRepository(registry, app)}@${digests[app]}`])) as Record<
    App,
    string
  >;
}

/**
 * The kustomize component `globe release` writes (deploy/k8s/release/kustomization.yaml): each app's
 * image by digest, the version label and the record, so what `kubectl apply -k` deploys is exactly one
 * release, and the live objects say which.
 */
export function releaseComponent(release: Release): string {
  const images = APPS.map((app) => {
    const { repository, digest } = splitDigestRef(release.images[app], app);
    return `  - name: ${app}\n    newName: ${repository}\n    digest: ${digest}`;
  });
  return `# The release every region runs, written by \`npx globe release\` (tools/globe), never by hand: both
# images pinned by digest, the version label and the release record (commit, date).
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
commonAnnotations:
  ${COMMIT_ANNOTATION}: ${release.commit}
  ${CREATED_ANNOTATION}: "${release.created}"
labels:
  - pairs:
      ${VERSION_LABEL}: "${release.version}"
    includeTemplates: true
images:
${images.join('\n')}
`;
}

/**
 * Reads the release component; null when it pins no release (the placeholder, whose version label
 * no API server accepts). Anything else that is not a complete release is an error.
 */
export function parseReleaseComponent(text: string, source: string): Release | null {
  const component = record(parse(text));
  const labels = Array.isArray(component.labels) ? component.labels.filter(isRecord) : [];
  const version = labels.map((entry) => record(entry.pairs)[VERSION_LABEL]).find((value) => value !== undefined);
  if (typeof version !== 'string' || !LABEL_VALUE.test(version)) return null;
  const annotations = record(component.commonAnnotations);
  const commit = annotations[COMMIT_ANNOTATION];
  const created = annotations[CREATED_ANNOTATION];
  const entries = Array.isArray(component.images) ? component.images.filter(isRecord) : [];
  const images: Partial<Record<App, string>> = {};
  for (const app of APPS) {
    const entry = entries.find((candidate) => candidate.name === app);
    if (typeof entry?.newName !== 'string' || typeof entry.digest !== 'string') {
      throw new GlobeError(`${source}: no image by digest for ${app}`);
    }
    images[app] = `${entry.newName}@${entry.digest}`;
    splitDigestRef(images[app], `${source}: ${app}`);
  }
  if (typeof commit !== 'string' || typeof created !== 'string') {
    throw new GlobeError(`${source}: no ${COMMIT_ANNOTATION} and ${CREATED_ANNOTATION} annotations`);
  }
  return { commit, version, created, images: images as Record<App, string> };
}
