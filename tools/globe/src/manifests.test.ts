import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { pinnedOverlay, pinningKustomization, splitImage } from './manifests.js';

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

describe('pinningKustomization', () => {
  const read = (pin: { imageName: string; tag: string; registry?: string }) =>
    parse(pinningKustomization('../../overlays/westus', rendered, pin));

  it('renders the overlay with each app repository pinned to the tag through kustomize images, sidecars untouched', () => {
    expect(read({ imageName: 'kubeonazure', tag: '1a2b3c4' })).toEqual({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: ['../../overlays/westus'],
      images: [
        { name: 'kubeonazure.azurecr.io/kubeonazure/frontend', newTag: '1a2b3c4' },
        { name: 'kubeonazure.azurecr.io/kubeonazure/streamer', newTag: '1a2b3c4' },
      ],
    });
  });

  it('moves each app to its repository in another registry when one is given', () => {
    expect(read({ imageName: 'kubeonazure', tag: 'v2', registry: 'myacr.azurecr.io' }).images).toEqual([
      {
        name: 'kubeonazure.azurecr.io/kubeonazure/frontend',
        newName: 'myacr.azurecr.io/kubeonazure/frontend',
        newTag: 'v2',
      },
      {
        name: 'kubeonazure.azurecr.io/kubeonazure/streamer',
        newName: 'myacr.azurecr.io/kubeonazure/streamer',
        newTag: 'v2',
      },
    ]);
  });

  it('refuses an overlay without the app images, rather than applying old tags', () => {
    expect(() => pinningKustomization('x', rendered, { imageName: 'other', tag: 'v2' })).toThrow(
      'rendered overlay has no container image named <registry>/other/<app>',
    );
  });

  it('refuses output that is not YAML', () => {
    expect(() => pinningKustomization('x', 'a: [unclosed', { imageName: 'kubeonazure', tag: 'v2' })).toThrow(
      /^rendered overlay is not valid YAML/,
    );
  });
});

describe('pinnedOverlay', () => {
  const pinned = rendered
    .replace('kubeonazure/frontend:0ld0ld0', 'kubeonazure/frontend:1a2b3c4')
    .replace('kubeonazure/streamer:0ld0ld0@sha256:abc', 'kubeonazure/streamer:1a2b3c4');

  it('lists the Deployments and the pinned app images of the rendered pinning kustomization', () => {
    const overlay = pinnedOverlay(pinned, { imageName: 'kubeonazure', tag: '1a2b3c4' });
    expect(overlay.manifest).toBe(pinned);
    expect(overlay.images).toEqual([
      'kubeonazure.azurecr.io/kubeonazure/frontend:1a2b3c4',
      'kubeonazure.azurecr.io/kubeonazure/streamer:1a2b3c4',
    ]);
    expect(overlay.deployments).toEqual([
      { kind: 'Deployment', name: 'frontend', namespace: 'kubeonazure' },
      { kind: 'Deployment', name: 'streamer', namespace: undefined },
    ]);
  });

  it('refuses an app image that kustomize did not pin', () => {
    expect(() => pinnedOverlay(rendered, { imageName: 'kubeonazure', tag: '1a2b3c4' })).toThrow(
      'image kubeonazure.azurecr.io/kubeonazure/frontend:0ld0ld0 was not pinned to 1a2b3c4',
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
