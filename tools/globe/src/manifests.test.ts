import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { pinImage, pinImageTags, splitImage } from './manifests.js';

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

describe('pinImageTags', () => {
  it('pins every app image to the tag and lists the Deployments', () => {
    const pinned = pinImageTags(rendered, { imageName: 'kubeonazure', tag: '1a2b3c4' });
    expect(pinned.images).toEqual([
      'kubeonazure.azurecr.io/kubeonazure/frontend:1a2b3c4',
      'kubeonazure.azurecr.io/kubeonazure/streamer:1a2b3c4',
    ]);
    expect(pinned.deployments).toEqual([
      { kind: 'Deployment', name: 'frontend', namespace: 'kubeonazure' },
      { kind: 'Deployment', name: 'streamer', namespace: undefined },
    ]);
    const objects = parseAllDocuments(pinned.manifest).map((document) => document.toJS());
    expect(objects.map((object) => object.kind)).toEqual(['Namespace', 'Deployment', 'Deployment']);
    expect(objects[1].spec.template.spec.initContainers[0].image).toBe('busybox:1.37');
    expect(objects[1].spec.template.spec.containers[0].image).toBe(
      'kubeonazure.azurecr.io/kubeonazure/frontend:1a2b3c4',
    );
  });

  it('moves the images to another registry when one is given', () => {
    const pinned = pinImageTags(rendered, { imageName: 'kubeonazure', tag: 'v2', registry: 'myacr.azurecr.io' });
    expect(pinned.images).toEqual([
      'myacr.azurecr.io/kubeonazure/frontend:v2',
      'myacr.azurecr.io/kubeonazure/streamer:v2',
    ]);
  });

  it('refuses an overlay without the app image, rather than applying old tags', () => {
    expect(() => pinImageTags(rendered, { imageName: 'other', tag: 'v2' })).toThrow(
      'rendered overlay has no container image named <registry>/other/<app>',
    );
  });

  it('refuses output that is not YAML', () => {
    expect(() => pinImageTags('a: [unclosed', { imageName: 'kubeonazure', tag: 'v2' })).toThrow(
      /^rendered overlay is not valid YAML/,
    );
  });
});

describe('pinImage', () => {
  const pin = { imageName: 'kubeonazure', tag: 'abc' };

  it('handles registries with ports and leaves other images alone', () => {
    expect(pinImage('localhost:5000/kubeonazure/frontend:latest', pin)).toBe('localhost:5000/kubeonazure/frontend:abc');
    expect(pinImage('kubeonazure/streamer', pin)).toBe('kubeonazure/streamer:abc');
    expect(pinImage('example.io/not-kubeonazure/frontend:1', pin)).toBeNull();
    expect(pinImage('example.io/kubeonazure/sidecar:1', pin)).toBeNull();
  });

  it('moves an app to the given registry, lower-cased as the image targets push it', () => {
    expect(pinImage('kubeonazure.azurecr.io/kubeonazure/frontend:1', { ...pin, registry: 'myacr.azurecr.io' })).toBe(
      'myacr.azurecr.io/kubeonazure/frontend:abc',
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
