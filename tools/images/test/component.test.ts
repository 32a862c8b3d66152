/**
 * The release pin (deploy/k8s/release, written by `globe release`) gives each app its own repository at
 * an immutable reference, or, before any release, the placeholder whose objects the API server refuses
 * (deploy/test/clusters.test.ts): never the moving tag.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { APPS, IMAGE_NAMESPACE } from '@kubeonazure/image-refs';
import { describe, expect, it } from 'vitest';
import { MOVING_TAG } from '../src/plan.ts';
import { parseManifests } from './pod.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const overlays = join(root, 'deploy/k8s/overlays');

describe.each(readdirSync(overlays))('the %s overlay', (overlay) => {
  const objects = parseManifests(
    spawnSync('kubectl', ['kustomize', join(overlays, overlay)], { encoding: 'utf8' }).stdout,
  );
  const images = objects
    .filter((object) => object.kind === 'Deployment')
    .flatMap((deployment) => deployment.spec?.template.spec.containers ?? []);

  it('runs each app from its own repository at an immutable reference or the unreleased placeholder, never the moving tag', () => {
    expect(images.length).toBeGreaterThan(0);
    for (const { name, image } of images) {
      expect(APPS).toContain(name);
      expect(image).toMatch(
        new RegExp(
          `^(unreleased\\.invalid/${IMAGE_NAMESPACE}/${name}|[a-z0-9.-]+/${IMAGE_NAMESPACE}/${name}(:[0-9a-f]{7,40}|@sha256:[0-9a-f]{64}))$`,
        ),
      );
      expect(image).not.toContain(`:${MOVING_TAG}`);
    }
  });
});
