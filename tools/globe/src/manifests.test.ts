import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { pinnedOverlay, pinningKustomization, splitImage } from './manifests.js';
import type { Release } from './release.js';

const rendered = `apiVersion: v1
kind: Namespace
metadata:
  name: kubeonazure
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: frontend
  namespace: kubeonazure
spec:
  template:
    spec:
      initContainers:
      - name: wait
        image: busybox:1.37
      containers:
      - name: frontend
        image: kubeonazure.azurecr.io/kubeonazure/frontend:0ld0ld0
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: streamer
spec:
  template:
    spec:
      containers:
      - name: streamer
        image: kubeonazure.azurecr.io/kubeonazure/streamer:0ld0ld0@sha256:abc
`;

const digest = (n: string) => `sha256:${n.repeat(64)}`;
const release: Release = {
  commit: '1a2b3c4d5e6f',
  version: '1a2b3c4',
  created: '2026-12-02T12:00:00.000Z',
  images: {
    frontend: `myacr.azurecr.io/kubeonazure/frontend@${digest('a')}`,
    streamer: `myacr.azurecr.io/kubeonazure/streamer@${digest('b')}`,
  },
};

describe('pinningKustomization', () => {
  it('renders the overlay with each app image by the release digest, and its version and record on every object', () => {
    expect(
      parse(pinningKustomization('../../overlays/westus', rendered, { imageName: 'kubeonazure', release })),
    ).toEqual({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: ['../../overlays/westus'],
      images: [
        {
          name: 'kubeonazure.azurecr.io/kubeonazure/frontend',
          newName: 'myacr.azurecr.io/kubeonazure/frontend',
          digest: digest('a'),
        },
        {
          name: 'kubeonazure.azurecr.io/kubeonazure/streamer',
          newName: 'myacr.azurecr.io/kubeonazure/streamer',
          digest: digest('b'),
        },
      ],
      labels: [{ pairs: { 'app.kubernetes.io/version': '1a2b3c4' }, includeTemplates: true }],
      commonAnnotations: {
        'release.kubeonazure.io/commit': '1a2b3c4d5e6f',
        'release.kubeonazure.io/created': '2026-12-02T12:00:00.000Z',
      },
    });
  });

  it('refuses an overlay without the app images, rather than applying old ones', () => {
    expect(() => pinningKustomization('x', rendered, { imageName: 'other', release })).toThrow(
      'rendered overlay has no container image named <registry>/other/<app>',
    );
  });

  it('refuses output that is not YAML', () => {
    expect(() => pinningKustomization('x', 'a: [unclosed', { imageName: 'kubeonazure', release })).toThrow(
      /^rendered overlay is not valid YAML/,
    );
  });
});

describe('pinnedOverlay', () => {
  const pinned = rendered
    .replace('kubeonazure.azurecr.io/kubeonazure/frontend:0ld0ld0', release.images.frontend)
    .replace('kubeonazure.azurecr.io/kubeonazure/streamer:0ld0ld0@sha256:abc', release.images.streamer);

  it('lists the Deployments and the pinned app images of the rendered pinning kustomization', () => {
    const overlay = pinnedOverlay(pinned, { imageName: 'kubeonazure', release });
    expect(overlay.manifest).toBe(pinned);
    expect(overlay.images).toEqual([release.images.frontend, release.images.streamer]);
    expect(overlay.deployments).toEqual([
      { kind: 'Deployment', name: 'frontend', namespace: 'kubeonazure' },
      { kind: 'Deployment', name: 'streamer', namespace: undefined },
    ]);
  });

  it('refuses an app image that kustomize did not pin', () => {
    expect(() => pinnedOverlay(rendered, { imageName: 'kubeonazure', release })).toThrow(
      `image kubeonazure.azurecr.io/kubeonazure/frontend:0ld0ld0 was not pinned to ${release.images.frontend}`,
    );
  });
});

describe('splitImage', () => {
  it.each([
    ['a.io/x/kubeonazure:frontend-1', { repository: 'a.io/x/kubeonazure', tag: 'frontend-1' }],
    ['localhost:5000/kubeonazure', { repository: 'localhost:5000/kubeonazure', tag: undefined }],
    ['kubeonazure:frontend@sha256:00', { repository: 'kubeonazure', tag: 'frontend' }],
  ])('%s', (image, parts) => {
    expect(splitImage(image)).toEqual(parts);
  });
});
